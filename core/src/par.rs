//! Independent work spread over the machine's cores, results in input order.
//!
//! A fleet plan renders, edits and resolves a thousand clusters' files, each on
//! its own: the same work on every core, with nothing shared but read-only
//! inputs. Each thread takes the next item until none are left, so one slow
//! item does not hold back a whole share.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};
use std::thread;

/// `items.into_iter().map(f).collect()`, with the calls spread over the
/// available cores (none spawned for fewer than two items or on one core). A
/// panic in `f` is resumed on the calling thread.
pub fn map<I, R>(items: I, f: impl Fn(I::Item) -> R + Sync) -> Vec<R>
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator + Send,
    R: Send,
{
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    map_on(cores, items, f)
}

/// [`map`] on at most `threads` threads.
fn map_on<I, R>(threads: usize, items: I, f: impl Fn(I::Item) -> R + Sync) -> Vec<R>
where
    I: IntoIterator,
    I::IntoIter: ExactSizeIterator + Send,
    R: Send,
{
    let items = items.into_iter();
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.map(f).collect();
    }
    let queue = Mutex::new(items.enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((i, item)) = next else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut all: Vec<(usize, R)> = thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_whatever_thread_made_them() {
        let items: Vec<u64> = (0..1000).collect();
        let made_by = Mutex::new(std::collections::HashSet::new());
        // Items 0 and 1 meet at a barrier: the thread holding item 0 waits
        // there, so item 1 must be taken by another thread.
        let first_two = std::sync::Barrier::new(2);
        let squares = map_on(4, &items, |n| {
            made_by.lock().expect("lock").insert(thread::current().id());
            if *n < 2 {
                first_two.wait();
            }
            // Uneven work, so threads finish items out of order.
            (0..n % 7).for_each(|_| thread::yield_now());
            n * n
        });
        let expected: Vec<u64> = items.iter().map(|n| n * n).collect();
        assert_eq!(squares, expected);
        assert!(
            made_by.lock().expect("lock").len() > 1,
            "more than one thread worked"
        );
    }

    #[test]
    fn no_items_and_one_item_are_mapped_on_the_calling_thread() {
        let caller = thread::current().id();
        assert_eq!(map_on(4, Vec::<u8>::new(), |n| n), Vec::<u8>::new());
        assert_eq!(
            map_on(4, [3], |n| (n + 1, thread::current().id())),
            vec![(4, caller)]
        );
    }

    #[test]
    fn a_panic_in_any_thread_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map_on(2, 0..100, |n| {
                assert!(n != 57, "item 57");
                n
            })
        });
        assert!(caught.is_err());
    }
}
