//! Two pieces of work at once, one on each of the machine's two cores, and work that waits
//! for a core nothing else wants until someone waits for it.

use std::sync::{Arc, OnceLock};
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

/// A thread that does background work in idle time (Linux's `SCHED_IDLE`: it runs only on a
/// core that no other thread wants), until a caller about to wait for that work raises it
/// back to normal priority, so that the wait is as short as the work and never starved by a
/// busy server. Elsewhere than on Linux, nothing is lowered.
#[derive(Debug, Default)]
pub struct IdleTime {
    /// The thread lowered (its kernel id), and whether it has been raised since.
    thread: parking_lot::Mutex<(Option<i32>, bool)>,
}

impl IdleTime {
    /// Lowers the calling thread into idle time, unless a caller has raised it already.
    pub fn enter(&self) {
        let mut thread = self.thread.lock();
        if thread.1 {
            return;
        }
        #[cfg(target_os = "linux")]
        if set_policy(0, libc::SCHED_IDLE) {
            // SAFETY: gettid takes nothing and cannot fail.
            thread.0 = Some(unsafe { libc::gettid() });
        }
    }

    /// Raises the thread back to normal priority, for a caller about to wait for it.
    pub fn raise(&self) {
        let mut thread = self.thread.lock();
        thread.1 = true;
        #[cfg(target_os = "linux")]
        if let Some(tid) = thread.0.take() {
            set_policy(tid, libc::SCHED_OTHER);
        }
    }
}

/// A value made on a thread of its own in idle time ([`IdleTime`]), or made already: the
/// first caller that needs it raises the thread and waits for it. For what a start can
/// leave until it is first needed.
#[derive(Debug)]
pub struct Background<T> {
    made: OnceLock<T>,
    making: parking_lot::Mutex<Option<JoinHandle<T>>>,
    idle: Arc<IdleTime>,
}

impl<T: Send + 'static> Background<T> {
    /// A value made already.
    pub fn ready(value: T) -> Self {
        Self {
            made: OnceLock::from(value),
            making: parking_lot::Mutex::new(None),
            idle: Default::default(),
        }
    }

    /// Makes `input` into the value with `make` on a thread named `name`, in idle time;
    /// here and now if no thread can be started.
    pub fn spawn<I: Send + 'static>(name: &str, input: I, make: fn(I) -> T) -> Self {
        let idle = Arc::new(IdleTime::default());
        let lowered = idle.clone();
        let (sender, input_back) = std::sync::mpsc::sync_channel(1);
        let started = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                lowered.enter();
                let input = input_back.recv().expect("sent once the thread runs");
                make(input)
            });
        match started {
            Ok(handle) => {
                // Sent once the thread runs, so that the input is still here to make the
                // value now if it cannot start.
                let _ = sender.send(input);
                Self {
                    made: OnceLock::new(),
                    making: parking_lot::Mutex::new(Some(handle)),
                    idle,
                }
            }
            Err(e) => {
                tracing::warn!("cannot start a thread for {name}: {e}");
                Self::ready(make(input))
            }
        }
    }

    /// The value, waiting for it (at normal priority) if it is being made.
    pub fn get(&self) -> &T {
        self.made.get_or_init(|| {
            self.idle.raise();
            let handle = self
                .making
                .lock()
                .take()
                .expect("a background value is made or being made");
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// The value, to change.
    pub fn get_mut(&mut self) -> &mut T {
        self.get();
        self.made.get_mut().expect("made just now")
    }
}

/// Sets a thread's scheduling policy (0: the calling thread); whether that was done.
#[cfg(target_os = "linux")]
fn set_policy(tid: i32, policy: libc::c_int) -> bool {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: reads `param` only while the call runs.
    let done = unsafe { libc::sched_setscheduler(tid, policy, &param) } == 0;
    if !done {
        tracing::debug!(
            "cannot set a background thread's priority: {}",
            std::io::Error::last_os_error()
        );
    }
    done
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::mpsc::channel;

    fn policy() -> libc::c_int {
        // SAFETY: takes no pointers.
        unsafe { libc::sched_getscheduler(0) }
    }

    /// A thread in idle time is raised back by a waiter; one entering after that stays
    /// at normal priority.
    #[test]
    fn a_waiter_raises_the_thread_in_idle_time() {
        let idle = Arc::new(IdleTime::default());
        let (told, policies) = channel();
        let (go, wait) = channel::<()>();
        let lowered = idle.clone();
        let thread = std::thread::spawn(move || {
            lowered.enter();
            told.send(policy()).unwrap();
            wait.recv().unwrap();
            told.send(policy()).unwrap();
        });
        assert_eq!(policies.recv().unwrap(), libc::SCHED_IDLE);
        idle.raise();
        go.send(()).unwrap();
        assert_eq!(policies.recv().unwrap(), libc::SCHED_OTHER);
        thread.join().unwrap();
        let late = std::thread::spawn(move || {
            idle.enter();
            policy()
        });
        assert_eq!(late.join().unwrap(), libc::SCHED_OTHER);
    }
}
