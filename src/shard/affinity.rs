//! Pinning a shard's thread to one CPU (`Builder::pin_to_cores`).
//!
//! Shard `i` goes to the `i`-th CPU this process may run on (its affinity
//! mask, as `taskset` or a container's cpuset left it), wrapping around
//! when there are more shards than CPUs. Linux only: elsewhere pinning is
//! a no-op.

use std::io;

/// Pins the calling thread to the CPU for shard `index`; returns that CPU.
#[cfg(target_os = "linux")]
pub(super) fn pin_current_thread(index: usize) -> io::Result<usize> {
    let set_size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut allowed: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is the calling thread; `allowed` is a valid, writable
    // cpu_set_t of `set_size` bytes.
    if unsafe { libc::sched_getaffinity(0, set_size, &mut allowed) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the size of the set's bit array.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &allowed) })
        .collect();
    let Some(&cpu) = cpus.get(index % cpus.len().max(1)) else {
        return Err(io::Error::other("the process may run on no CPU"));
    };
    // SAFETY: as above, the empty set.
    let mut only: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` came from the set's own range, below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut only) };
    // SAFETY: pid 0 is the calling thread; `only` is a valid cpu_set_t of
    // `set_size` bytes, read by the kernel.
    if unsafe { libc::sched_setaffinity(0, set_size, &only) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cpu)
}

/// Not Linux: no pinning.
#[cfg(not(target_os = "linux"))]
pub(super) fn pin_current_thread(_index: usize) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "pinning threads to cores is only implemented on Linux",
    ))
}
