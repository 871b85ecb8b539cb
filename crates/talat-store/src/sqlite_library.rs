//! Process-wide settings of the SQLite library, made once before its first connection opens.
//!
//! The bundled SQLite keeps memory statistics by default: every allocation and free it makes
//! takes a global mutex to count bytes. Nothing in talat reads those statistics (no soft heap
//! limit, no `sqlite3_memory_used`), and on the query store's writer thread the mutex and the
//! counting were a measurable share of its CPU (`perf`, 12 k/s offered), so they are turned off.

use std::sync::Once;

static CONFIGURE: Once = Once::new();

/// Applies the settings if SQLite has not started yet. Called before every SQLite pool opens;
/// only the first call does anything. If the library was already initialised (another crate
/// of the process opened SQLite first), SQLite refuses the change and keeps its defaults:
/// slower, never wrong, so that is logged rather than fatal.
pub(crate) fn configure_once() {
    CONFIGURE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int argument, passed here as c_int. The
        // call is made from inside a `Once` and before this process opens any connection
        // through the store, as sqlite3_config requires; if SQLite was started already it
        // returns SQLITE_MISUSE and changes nothing.
        let off: std::ffi::c_int = 0;
        let rc = unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, off) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(rc, "SQLite was already initialised: its memory statistics stay on");
        }
    });
}
