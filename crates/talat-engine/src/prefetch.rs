//! Software prefetch: a hint that a cache line will be read soon, so that loads the engine can
//! name early (a command's user, its order's bucket) overlap instead of missing one after
//! another. A hint only: it never changes a result, and is a no-op where unsupported.

/// Starts loading the cache line holding `value`.
#[inline(always)]
pub fn read<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching has no architectural effect; the pointer comes from a reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
