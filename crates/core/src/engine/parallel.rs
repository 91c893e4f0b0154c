//! Two pieces of work at once, one on each of the machine's two cores.

/// Runs `first` on a second thread while `second` runs on this one, and returns both
/// results. A panic in either is raised here, as if both had run on this thread.
pub fn side_by_side<A: Send, B>(
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (A, B) {
    std::thread::scope(|scope| {
        let first = scope.spawn(first);
        let second = second();
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}
