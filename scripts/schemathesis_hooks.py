"""schemathesis hooks for scripts/schemathesis.sh.

One check is configured for one parameter: OGC API - Features Part 1 requires a server to serve
a `limit` above the maximum it advertises as that maximum, not to refuse it. So a generated
"invalid" case whose fault may be such a limit is dropped rather than reported as "invalid
input accepted"; every other negative case, and every limit below 1 or not a whole number, is
still sent and must be refused. `filter_case` applies in every phase (coverage included).
"""

import schemathesis

# The `maximum` of `components.parameters.limit` in /ogc/api.
OGC_LIMIT_MAXIMUM = 10_000


def _above_the_maximum(value):
    try:
        return int(str(value).strip()) > OGC_LIMIT_MAXIMUM
    except ValueError:
        return False


@schemathesis.hook
def filter_case(ctx, case):
    query = case.query or {}
    if "limit" not in query or "/collections/" not in (case.operation.path or ""):
        return True
    return not _above_the_maximum(query["limit"])
