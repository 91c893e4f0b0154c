//! Two pieces of work at once, one on each of the machine's two cores, and work left until a
//! start's own is done.

use parking_lot::Mutex;
use std::sync::OnceLock;
use std::thread::JoinHandle;

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

/// A value made on a thread of its own once the caller lets it begin
/// ([`Background::begin`]: after a start's own work, so that it takes no core from it), or
/// made already. The first caller that needs it begins it if nobody has and waits for it.
/// For what a start can leave until it is first needed.
#[derive(Debug)]
pub struct Background<T> {
    made: OnceLock<T>,
    making: Mutex<Option<Making<T>>>,
}

/// A value's thread, and its input until it may begin.
struct Making<T> {
    thread: JoinHandle<Option<T>>,
    go: Option<Box<dyn FnOnce() + Send>>,
}

impl<T> std::fmt::Debug for Making<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Making")
            .field("begun", &self.go.is_none())
            .finish()
    }
}

impl<T: Send + 'static> Background<T> {
    /// A value made already.
    pub fn ready(value: T) -> Self {
        Self {
            made: OnceLock::from(value),
            making: Mutex::new(None),
        }
    }

    /// Makes `input` into the value with `make` on a thread named `name`, once
    /// [`Background::begin`] is called or the value is asked for; here and now if no thread
    /// can be started.
    pub fn spawn<I: Send + 'static>(name: &str, input: I, make: fn(I) -> T) -> Self {
        let (sender, input_back) = std::sync::mpsc::sync_channel(1);
        let started = std::thread::Builder::new()
            .name(name.into())
            // No input comes if the value is dropped before it was begun: nothing to make.
            .spawn(move || input_back.recv().ok().map(make));
        match started {
            Ok(thread) => Self {
                made: OnceLock::new(),
                making: Mutex::new(Some(Making {
                    thread,
                    go: Some(Box::new(move || {
                        let _ = sender.send(input);
                    })),
                })),
            },
            Err(e) => {
                tracing::warn!("cannot start a thread for {name}: {e}");
                Self::ready(make(input))
            }
        }
    }

    /// Lets the value be made now, if it is not being made already.
    pub fn begin(&self) {
        if let Some(making) = self.making.lock().as_mut()
            && let Some(go) = making.go.take()
        {
            go();
        }
    }

    /// The value, waiting for it if it is being made (and beginning it if nobody has).
    pub fn get(&self) -> &T {
        self.made.get_or_init(|| {
            self.begin();
            let making = self
                .making
                .lock()
                .take()
                .expect("a background value is made or being made");
            making
                .thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .expect("begun before it was joined")
        })
    }

    /// The value, to change.
    pub fn get_mut(&mut self) -> &mut T {
        self.get();
        self.made.get_mut().expect("made just now")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static MADE: AtomicUsize = AtomicUsize::new(0);

    /// A background value is made only once begun or asked for, and asking begins it.
    #[test]
    fn a_background_value_waits_to_be_begun_or_asked_for() {
        let begun = Background::spawn("test", 2, |x: usize| {
            MADE.fetch_add(1, Ordering::SeqCst);
            x * 21
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(MADE.load(Ordering::SeqCst), 0, "made before it was begun");
        begun.begin();
        begun.begin();
        assert_eq!(*begun.get(), 42);
        assert_eq!(MADE.load(Ordering::SeqCst), 1);
        let asked = Background::spawn("test", 1, |x: usize| x + 1);
        assert_eq!(*asked.get(), 2, "asking begins it");
        // Dropped before it was begun: its thread ends without making anything.
        drop(Background::spawn("test", 3, |x: usize| {
            MADE.fetch_add(1, Ordering::SeqCst);
            x
        }));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(MADE.load(Ordering::SeqCst), 1, "made though never begun");
        let mut ready = Background::ready(7);
        *ready.get_mut() += 1;
        assert_eq!(*ready.get(), 8);
    }
}
