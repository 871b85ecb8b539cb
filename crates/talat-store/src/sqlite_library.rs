//! Process-wide settings of the SQLite library, made once before its first connection opens.
//!
//! - The bundled SQLite keeps memory statistics by default: every allocation and free it makes
//!   takes a global mutex to count bytes. Nothing in talat reads those statistics (no soft heap
//!   limit, no `sqlite3_memory_used`), and on the query store's writer thread the mutex and the
//!   counting were a measurable share of its CPU (`perf`, 12 k/s offered), so they are off.
//! - SQLite allocates through the process's Rust global allocator (`talat` picks mimalloc)
//!   instead of the C library's malloc, whose arena code was the next share of that thread.

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::ffi::{c_int, c_void};
use std::sync::Once;

static CONFIGURE: Once = Once::new();

/// Applies the settings if SQLite has not started yet. Called before every SQLite pool opens;
/// only the first call does anything. If the library was already initialised (another crate
/// of the process opened SQLite first), SQLite refuses the changes and keeps its defaults:
/// slower, never wrong, so that is logged rather than fatal.
pub(crate) fn configure_once() {
    CONFIGURE.call_once(|| {
        let off: c_int = 0;
        let methods = rust_allocator();
        // SAFETY: each option gets the one argument of the type sqlite3_config documents for it
        // (an int; a pointer to a sqlite3_mem_methods, which SQLite copies before returning).
        // The calls are made inside a `Once`, before this process opens any connection through
        // the store, as sqlite3_config requires; were SQLite started already, each returns
        // SQLITE_MISUSE and changes nothing.
        let (statistics, allocator) = unsafe {
            (
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, off),
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MALLOC, &methods as *const libsqlite3_sys::sqlite3_mem_methods),
            )
        };
        if statistics != libsqlite3_sys::SQLITE_OK || allocator != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(statistics, allocator, "SQLite was already initialised: its memory statistics and C allocator stay");
        }
    });
}

/// Bytes in front of each block handed to SQLite: its size, which `xFree` and `xSize` need and
/// Rust's allocator does not keep. Sixteen, so the block SQLite sees stays 16-byte aligned.
const HEADER: usize = 16;

/// The allocator methods; SQLite copies them when configured, so they need not outlive the call.
fn rust_allocator() -> libsqlite3_sys::sqlite3_mem_methods {
    libsqlite3_sys::sqlite3_mem_methods {
        xMalloc: Some(sqlite_malloc),
        xFree: Some(sqlite_free),
        xRealloc: Some(sqlite_realloc),
        xSize: Some(sqlite_size),
        xRoundup: Some(sqlite_roundup),
        xInit: Some(sqlite_init),
        xShutdown: Some(sqlite_shutdown),
        pAppData: std::ptr::null_mut(),
    }
}

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// Writes the size into the header at `base` and returns the block after it (null stays null).
///
/// # Safety
/// `base` is null or the start of an allocation of `layout(size)`.
unsafe fn hand_out(base: *mut u8, size: usize) -> *mut c_void {
    if base.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the allocation holds HEADER bytes at `base`, aligned for usize, then `size` more.
    unsafe {
        base.cast::<usize>().write(size);
        base.add(HEADER).cast()
    }
}

/// The allocation start and the size recorded for a block SQLite holds.
///
/// # Safety
/// `block` was returned by `sqlite_malloc` or `sqlite_realloc` and not freed since.
unsafe fn base_and_size(block: *mut c_void) -> (*mut u8, usize) {
    // SAFETY: such a block is HEADER bytes into its allocation, whose header holds its size.
    unsafe {
        let base = block.cast::<u8>().sub(HEADER);
        (base, base.cast::<usize>().read())
    }
}

/// Blocks SQLite asked for, counted in tests only: the proof that it allocates through here.
#[cfg(test)]
static MALLOC_CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[cfg(test)]
thread_local! {
    /// The same count for the calling thread alone, which tests running beside it do not move.
    static THREAD_MALLOC_CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Blocks SQLite has asked for on this thread so far (tests only).
#[cfg(test)]
pub(crate) fn thread_malloc_calls() -> u64 {
    THREAD_MALLOC_CALLS.with(|calls| calls.get())
}

unsafe extern "C" fn sqlite_malloc(size: c_int) -> *mut c_void {
    #[cfg(test)]
    {
        MALLOC_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        THREAD_MALLOC_CALLS.with(|calls| calls.set(calls.get() + 1));
    }
    let Some(layout) = usize::try_from(size).ok().and_then(layout) else { return std::ptr::null_mut() };
    // SAFETY: the layout's size is at least HEADER, never zero; the header is then written.
    unsafe { hand_out(alloc(layout), layout.size() - HEADER) }
}

unsafe extern "C" fn sqlite_free(block: *mut c_void) {
    if block.is_null() {
        return;
    }
    // SAFETY: SQLite frees only blocks it got from sqlite_malloc / sqlite_realloc, once; the
    // layout rebuilt from the recorded size is the one it was allocated with.
    unsafe {
        let (base, size) = base_and_size(block);
        dealloc(base, layout(size).expect("a recorded size has a layout"));
    }
}

unsafe extern "C" fn sqlite_realloc(block: *mut c_void, size: c_int) -> *mut c_void {
    if block.is_null() {
        // SAFETY: the same contract as a fresh allocation.
        return unsafe { sqlite_malloc(size) };
    }
    let Some(new_layout) = usize::try_from(size).ok().and_then(layout) else { return std::ptr::null_mut() };
    // SAFETY: `block` is live (SQLite's contract); realloc keeps the alignment of the old layout
    // and, on failure, leaves the old block as it was (SQLite keeps it).
    unsafe {
        let (base, old_size) = base_and_size(block);
        let old_layout = layout(old_size).expect("a recorded size has a layout");
        hand_out(realloc(base, old_layout, new_layout.size()), new_layout.size() - HEADER)
    }
}

unsafe extern "C" fn sqlite_size(block: *mut c_void) -> c_int {
    if block.is_null() {
        return 0;
    }
    // SAFETY: a live block of ours (SQLite's contract); sizes came from a c_int.
    unsafe { base_and_size(block).1 as c_int }
}

unsafe extern "C" fn sqlite_roundup(size: c_int) -> c_int {
    // Eight bytes, SQLite's own granularity; sizes near c_int::MAX are left for xMalloc to refuse.
    size.checked_add(7).map_or(size, |s| s & !7)
}

unsafe extern "C" fn sqlite_init(_: *mut c_void) -> c_int {
    libsqlite3_sys::SQLITE_OK
}

unsafe extern "C" fn sqlite_shutdown(_: *mut c_void) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_size_through_realloc_and_free() {
        // SAFETY: the blocks are used only within the sizes asked for, then freed once each.
        unsafe {
            assert!(sqlite_malloc(-1).is_null(), "a negative size is refused");
            let block = sqlite_malloc(24);
            assert!(!block.is_null());
            assert_eq!(block as usize % HEADER, 0, "16-byte aligned");
            assert_eq!(sqlite_size(block), 24);
            block.cast::<u8>().write_bytes(0xA5, 24);
            let grown = sqlite_realloc(block, 4_000);
            assert_eq!(sqlite_size(grown), 4_000);
            assert!(std::slice::from_raw_parts(grown.cast::<u8>(), 24).iter().all(|&b| b == 0xA5), "realloc keeps the contents");
            let shrunk = sqlite_realloc(grown, 8);
            assert_eq!(sqlite_size(shrunk), 8);
            sqlite_free(shrunk);
            sqlite_free(std::ptr::null_mut());
            assert_eq!(sqlite_size(std::ptr::null_mut()), 0);
            assert_eq!((sqlite_roundup(1), sqlite_roundup(8), sqlite_roundup(9)), (8, 8, 16));
        }
    }

    #[test]
    fn the_settings_are_in_force_once_a_store_has_opened() {
        let calls_before = MALLOC_CALLS.load(std::sync::atomic::Ordering::Relaxed);
        // Read while the store is open, on its runtime.
        let (rc, memory_used, current) = crate::Store::with_memory_store(|store| async move {
            let _open = &store;
            let (mut current, mut highwater) = (0, 0);
            // SAFETY: plain reads of SQLite's global state, which it guards itself.
            let rc = unsafe { libsqlite3_sys::sqlite3_status64(libsqlite3_sys::SQLITE_STATUS_MALLOC_COUNT, &mut current, &mut highwater, 0) };
            Ok((rc, unsafe { libsqlite3_sys::sqlite3_memory_used() }, current))
        })
        .expect("an in-memory store");
        assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
        // With statistics kept, an open database with its schema migrated holds many blocks.
        assert_eq!((memory_used, current), (0, 0), "memory statistics are off");
        // Opening and migrating a database takes thousands of blocks, all through sqlite_malloc
        // (the test above calls it directly once: far below the bound).
        let calls = MALLOC_CALLS.load(std::sync::atomic::Ordering::Relaxed) - calls_before;
        assert!(calls >= 100, "SQLite allocates through the Rust allocator: {calls} blocks");
    }
}
