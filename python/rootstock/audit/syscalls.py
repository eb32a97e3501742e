"""Linux system call numbers for the two ABIs the early stages use, and the names the audit reports."""

from __future__ import annotations

# Linux arch/x86/entry/syscalls/syscall_64.tbl, the entries a tiny static program could plausibly reach
# plus every call an attacker would want (network, process, memory protection); others print as numbers.
X86_64 = {
    0: "read",
    1: "write",
    2: "open",
    3: "close",
    4: "stat",
    5: "fstat",
    8: "lseek",
    9: "mmap",
    10: "mprotect",
    11: "munmap",
    12: "brk",
    16: "ioctl",
    21: "access",
    22: "pipe",
    32: "dup",
    33: "dup2",
    39: "getpid",
    41: "socket",
    42: "connect",
    43: "accept",
    44: "sendto",
    45: "recvfrom",
    49: "bind",
    50: "listen",
    56: "clone",
    57: "fork",
    58: "vfork",
    59: "execve",
    60: "exit",
    61: "wait4",
    62: "kill",
    63: "uname",
    72: "fcntl",
    74: "fsync",
    79: "getcwd",
    80: "chdir",
    81: "fchdir",
    82: "rename",
    83: "mkdir",
    84: "rmdir",
    85: "creat",
    86: "link",
    87: "unlink",
    88: "symlink",
    89: "readlink",
    90: "chmod",
    91: "fchmod",
    92: "chown",
    95: "umask",
    101: "ptrace",
    105: "setuid",
    133: "mknod",
    161: "chroot",
    165: "mount",
    217: "getdents64",
    231: "exit_group",
    247: "waitid",
    257: "openat",
    258: "mkdirat",
    319: "memfd_create",
    322: "execveat",
}

# Linux arch/x86/entry/syscalls/syscall_32.tbl, same selection.
I386 = {
    1: "exit",
    2: "fork",
    3: "read",
    4: "write",
    5: "open",
    6: "close",
    7: "waitpid",
    8: "creat",
    9: "link",
    10: "unlink",
    11: "execve",
    12: "chdir",
    14: "mknod",
    15: "chmod",
    19: "lseek",
    20: "getpid",
    21: "mount",
    23: "setuid",
    26: "ptrace",
    33: "access",
    37: "kill",
    38: "rename",
    39: "mkdir",
    40: "rmdir",
    41: "dup",
    42: "pipe",
    45: "brk",
    54: "ioctl",
    55: "fcntl",
    60: "umask",
    61: "chroot",
    63: "dup2",
    83: "symlink",
    85: "readlink",
    90: "mmap",
    91: "munmap",
    94: "fchmod",
    102: "socketcall",
    114: "wait4",
    118: "fsync",
    120: "clone",
    122: "uname",
    125: "mprotect",
    133: "fchdir",
    141: "getdents",
    183: "getcwd",
    190: "vfork",
    192: "mmap2",
    252: "exit_group",
    284: "waitid",
    295: "openat",
    296: "mkdirat",
    358: "execveat",
    359: "socket",
    362: "connect",
}

TABLES = {"x86_64": X86_64, "i386": I386}

# After these the program is gone, so control flow does not fall through the call site.
TERMINATING = frozenset({"exit", "exit_group"})
# Calls whose return value is a file descriptor that must be checked before use.
OPENING = frozenset({"open", "openat", "creat"})


def syscall_name(abi: str, number: int | None) -> str:
    """The name of a system call number in an ABI; `unresolved` when tracking could not find the number.

    Examples:
        >>> syscall_name("x86_64", 59)
        'execve'
        >>> syscall_name("i386", 999)
        'syscall_999'
    """
    if number is None:
        return "unresolved"
    return TABLES[abi].get(number, f"syscall_{number}")
