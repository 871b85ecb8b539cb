//! `talat serve` runs without transparent huge pages. The server's memory grows and is given
//! back in small steps all the time (request buffers, read models, the query store's staging);
//! mimalloc asks the kernel for huge pages over its arenas, so each new step of growth faulted in
//! and zeroed a whole 2 MiB page, and each small purge split one again. Measured at 12 k/s offered
//! (`talat loadgen`), the process took 118 huge-page faults in 8 s and `clear_page_erms` was 6.5 %
//! of its CPU; without huge pages the server's CPU per answered request was lower in 6 of 7
//! alternated pairs. `talat bench engine` keeps them: its million resting orders want the TLB
//! reach.

/// Turns transparent huge pages off for this process, for mappings made before and after (the
/// kernel checks the flag at each fault). Returns whether they are off.
pub fn disable_transparent_huge_pages() -> bool {
    // SAFETY: prctl(PR_SET_THP_DISABLE) only sets a flag on this process's memory map; its
    // extra arguments must be zero.
    let set = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if set != 0 {
        tracing::warn!("transparent huge pages stay on: prctl(PR_SET_THP_DISABLE) failed: {}", std::io::Error::last_os_error());
    }
    transparent_huge_pages_disabled()
}

/// Whether transparent huge pages are off for this process.
pub fn transparent_huge_pages_disabled() -> bool {
    // SAFETY: prctl(PR_GET_THP_DISABLE) only reads the flag; its extra arguments must be zero.
    unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_process_runs_without_huge_pages() {
        assert!(disable_transparent_huge_pages());
        assert!(transparent_huge_pages_disabled());
    }
}
