namespace CameraService.Plugins.V4l2.Native;

/// <summary>The Linux errno values the plugin tells apart (asm-generic/errno-base.h, same on x86-64 and ARM).</summary>
internal enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    ENODEV = 19,
    EINVAL = 22,
    EMFILE = 24,
    ENOSPC = 28,
    ERANGE = 34,
    ENOTTY = 25,
    EPROTONOSUPPORT = 93,
}

/// <summary>What a failed syscall means for a camera; the typed view of an errno.</summary>
internal enum DeviceFailure
{
    /// <summary>No failure.</summary>
    None,

    /// <summary>EBUSY: another process holds the device exclusively.</summary>
    Busy,

    /// <summary>EACCES/EPERM: the service user may not open the node.</summary>
    PermissionDenied,

    /// <summary>ENODEV: the device was unplugged or its driver unbound.</summary>
    NoDevice,

    /// <summary>ENXIO: the node exists but no driver answers yet (or any more).</summary>
    NotReady,

    /// <summary>ENOTTY: the node does not understand V4L2 ioctls.</summary>
    NotV4l2,

    /// <summary>ENOENT: the node is gone.</summary>
    Gone,

    /// <summary>EINVAL: end of an enumeration or an unsupported request.</summary>
    InvalidArgument,

    /// <summary>Any other errno.</summary>
    Other,
}

/// <summary>The outcome of one syscall: success or a typed errno.</summary>
/// <param name="Errno">The errno; <see cref="Errno.None"/> on success.</param>
internal readonly record struct SyscallResult(Errno Errno)
{
    public static SyscallResult Success => default;

    public bool Ok => Errno == Errno.None;

    public DeviceFailure Failure => Errno switch
    {
        Errno.None => DeviceFailure.None,
        Errno.EBUSY => DeviceFailure.Busy,
        Errno.EACCES or Errno.EPERM => DeviceFailure.PermissionDenied,
        Errno.ENODEV => DeviceFailure.NoDevice,
        Errno.ENXIO => DeviceFailure.NotReady,
        Errno.ENOTTY => DeviceFailure.NotV4l2,
        Errno.ENOENT => DeviceFailure.Gone,
        Errno.EINVAL => DeviceFailure.InvalidArgument,
        _ => DeviceFailure.Other,
    };

    public static SyscallResult From(Errno errno) => new(errno);

    public override string ToString() => Ok ? "OK" : Errno.ToString();
}
