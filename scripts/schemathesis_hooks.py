"""schemathesis hooks for scripts/schemathesis.sh.

One check is configured for one parameter: OGC API - Features Part 1 requires a server to serve
a `limit` above the maximum it advertises as that maximum, not to refuse it. So a generated
"invalid" case whose only fault may be such a limit is dropped rather than reported as
"invalid input accepted"; every other negative case, and every limit below 1 or not a whole
number, is still sent and must be refused.
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
def filter_query(ctx, query):
    if not query or "limit" not in query:
        return True
    operation = getattr(ctx, "operation", None)
    path = getattr(operation, "path", "") or ""
    if "/collections/" not in path:
        return True
    return not _above_the_maximum(query["limit"])
