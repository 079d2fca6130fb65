using System.Runtime.InteropServices;
using System.Text;

namespace CameraService.Plugins.V4l2.Native;

// Mirrors of the structs and constants of linux/videodev2.h that discovery needs. Field names follow the
// header so the ABI test (tests/.../AbiTests) can compare each offset with offsetof() from a compiled C program.
#pragma warning disable CA1051, SA1307, IDE1006 // Public fields with the kernel's names are the point of these mirrors.

/// <summary>struct v4l2_capability (104 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct v4l2_capability
{
    public fixed byte driver[16];
    public fixed byte card[32];
    public fixed byte bus_info[32];
    public uint version;
    public uint capabilities;
    public uint device_caps;
    public fixed uint reserved[3];
}

/// <summary>struct v4l2_fmtdesc (64 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct v4l2_fmtdesc
{
    public uint index;
    public uint type;
    public uint flags;
    public fixed byte description[32];
    public uint pixelformat;
    public uint mbus_code;
    public fixed uint reserved[3];
}

/// <summary>struct v4l2_frmsize_discrete.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct v4l2_frmsize_discrete
{
    public uint width;
    public uint height;
}

/// <summary>struct v4l2_frmsize_stepwise.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct v4l2_frmsize_stepwise
{
    public uint min_width;
    public uint max_width;
    public uint step_width;
    public uint min_height;
    public uint max_height;
    public uint step_height;
}

/// <summary>struct v4l2_frmsizeenum (44 bytes); the anonymous union is at offset 12.</summary>
[StructLayout(LayoutKind.Explicit, Size = 44)]
internal unsafe struct v4l2_frmsizeenum
{
    [FieldOffset(0)] public uint index;
    [FieldOffset(4)] public uint pixel_format;
    [FieldOffset(8)] public uint type;
    [FieldOffset(12)] public v4l2_frmsize_discrete discrete;
    [FieldOffset(12)] public v4l2_frmsize_stepwise stepwise;
    [FieldOffset(36)] public fixed uint reserved[2];
}

/// <summary>struct v4l2_fract.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct v4l2_fract
{
    public uint numerator;
    public uint denominator;
}

/// <summary>struct v4l2_frmival_stepwise.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct v4l2_frmival_stepwise
{
    public v4l2_fract min;
    public v4l2_fract max;
    public v4l2_fract step;
}

/// <summary>struct v4l2_frmivalenum (52 bytes); the anonymous union is at offset 20.</summary>
[StructLayout(LayoutKind.Explicit, Size = 52)]
internal unsafe struct v4l2_frmivalenum
{
    [FieldOffset(0)] public uint index;
    [FieldOffset(4)] public uint pixel_format;
    [FieldOffset(8)] public uint width;
    [FieldOffset(12)] public uint height;
    [FieldOffset(16)] public uint type;
    [FieldOffset(20)] public v4l2_fract discrete;
    [FieldOffset(20)] public v4l2_frmival_stepwise stepwise;
    [FieldOffset(44)] public fixed uint reserved[2];
}

/// <summary>struct v4l2_pix_format (48 bytes); also the head of v4l2_pix_format_mplane (same first three fields).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct v4l2_pix_format
{
    public uint width;
    public uint height;
    public uint pixelformat;
    public uint field;
    public uint bytesperline;
    public uint sizeimage;
    public uint colorspace;
    public uint priv;
    public uint flags;
    public uint ycbcr_enc;
    public uint quantization;
    public uint xfer_func;
}

/// <summary>
/// struct v4l2_format: a type and a 200-byte union. The union contains pointers (v4l2_window), so it is
/// 8-byte aligned on 64-bit targets (208 bytes) and 4-byte aligned on 32-bit ARM (204 bytes); the buffer
/// is sized for the larger case and the offset of the union is computed at run time.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 208)]
internal unsafe struct v4l2_format
{
    public uint type;
    public fixed byte raw[204];

    /// <summary>Offset of the <c>fmt</c> union in the kernel's layout.</summary>
    public static int UnionOffset => IntPtr.Size == 8 ? 8 : 4;

    /// <summary>Size of the struct in the kernel's layout (the ioctl request code encodes it).</summary>
    public static int KernelSize => UnionOffset + 200;

    /// <summary>The <c>fmt.pix</c> member (single-planar), also valid for the first fields of <c>fmt.pix_mp</c>.</summary>
    public v4l2_pix_format Pix
    {
        readonly get
        {
            fixed (v4l2_format* self = &this)
            {
                return *(v4l2_pix_format*)((byte*)self + UnionOffset);
            }
        }

        set
        {
            fixed (v4l2_format* self = &this)
            {
                *(v4l2_pix_format*)((byte*)self + UnionOffset) = value;
            }
        }
    }
}

/// <summary>struct v4l2_queryctrl (68 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct v4l2_queryctrl
{
    public uint id;
    public uint type;
    public fixed byte name[32];
    public int minimum;
    public int maximum;
    public int step;
    public int default_value;
    public uint flags;
    public fixed uint reserved[2];
}

/// <summary>struct v4l2_query_ext_ctrl (232 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct v4l2_query_ext_ctrl
{
    public uint id;
    public uint type;
    public fixed byte name[32];
    public long minimum;
    public long maximum;
    public ulong step;
    public long default_value;
    public uint flags;
    public uint elem_size;
    public uint elems;
    public uint nr_of_dims;
    public fixed uint dims[4];
    public fixed uint reserved[32];
}

/// <summary>struct v4l2_control (8 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct v4l2_control
{
    public uint id;
    public int value;
}

/// <summary>struct v4l2_querymenu (44 bytes, packed): a menu entry's name, or an integer menu entry's value.</summary>
[StructLayout(LayoutKind.Explicit, Size = 44)]
internal unsafe struct v4l2_querymenu
{
    [FieldOffset(0)] public uint id;
    [FieldOffset(4)] public uint index;
    [FieldOffset(8)] public fixed byte name[32];
    [FieldOffset(8)] public long value;
    [FieldOffset(40)] public uint reserved;
}

/// <summary>struct v4l2_ext_control (20 bytes, packed); the value union is at offset 12.</summary>
[StructLayout(LayoutKind.Explicit, Size = 20)]
internal struct v4l2_ext_control
{
    [FieldOffset(0)] public uint id;
    [FieldOffset(4)] public uint size;
    [FieldOffset(8)] public uint reserved2;
    [FieldOffset(12)] public int value;
    [FieldOffset(12)] public long value64;
}

/// <summary>
/// struct v4l2_ext_controls (32 bytes on 64-bit targets): <c>controls</c> points at <c>count</c> pinned
/// <see cref="v4l2_ext_control"/> entries for the duration of the ioctl.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct v4l2_ext_controls
{
    public uint which;
    public uint count;
    public uint error_idx;
    public int request_fd;
    public uint reserved;
    public v4l2_ext_control* controls;
}

/// <summary>struct v4l2_event_subscription (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct v4l2_event_subscription
{
    public uint type;
    public uint id;
    public uint flags;
    public fixed uint reserved[5];
}

/// <summary>struct v4l2_event_ctrl (40 bytes): the payload of a V4L2_EVENT_CTRL event.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct v4l2_event_ctrl
{
    [FieldOffset(0)] public uint changes;
    [FieldOffset(4)] public uint type;
    [FieldOffset(8)] public int value;
    [FieldOffset(8)] public long value64;
    [FieldOffset(16)] public uint flags;
    [FieldOffset(20)] public int minimum;
    [FieldOffset(24)] public int maximum;
    [FieldOffset(28)] public int step;
    [FieldOffset(32)] public int default_value;
}

/// <summary>
/// struct v4l2_event (136 bytes on 64-bit targets: the 64-byte union is 8-byte aligned and <c>timestamp</c> is a
/// 16-byte timespec). The service is built for amd64 and arm64 only (see docs/deployment.md), so the layout is fixed.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
internal unsafe struct v4l2_event
{
    [FieldOffset(0)] public uint type;
    [FieldOffset(8)] public v4l2_event_ctrl ctrl;
    [FieldOffset(8)] public fixed byte data[64];
    [FieldOffset(72)] public uint pending;
    [FieldOffset(76)] public uint sequence;
    [FieldOffset(80)] public long timestamp_sec;
    [FieldOffset(88)] public long timestamp_nsec;
    [FieldOffset(96)] public uint id;
    [FieldOffset(100)] public fixed uint reserved[8];
}

#pragma warning restore CA1051, SA1307, IDE1006

/// <summary>Constants and request codes of linux/videodev2.h.</summary>
internal static class Vdev
{
    // Capabilities (V4L2_CAP_*).
    public const uint CapVideoCapture = 0x00000001;
    public const uint CapVideoOutput = 0x00000002;
    public const uint CapVideoCaptureMplane = 0x00001000;
    public const uint CapVideoOutputMplane = 0x00002000;
    public const uint CapVideoM2mMplane = 0x00004000;
    public const uint CapVideoM2m = 0x00008000;
    public const uint CapExtPixFormat = 0x00200000;
    public const uint CapMetaCapture = 0x00800000;
    public const uint CapReadWrite = 0x01000000;
    public const uint CapStreaming = 0x04000000;
    public const uint CapDeviceCaps = 0x80000000;

    // enum v4l2_buf_type.
    public const uint BufTypeVideoCapture = 1;
    public const uint BufTypeVideoCaptureMplane = 9;

    // Format flags.
    public const uint FmtFlagCompressed = 0x0001;
    public const uint FmtFlagEmulated = 0x0002;

    // enum v4l2_frmsizetypes / v4l2_frmivaltypes.
    public const uint FrmSizeTypeDiscrete = 1;
    public const uint FrmSizeTypeContinuous = 2;
    public const uint FrmSizeTypeStepwise = 3;
    public const uint FrmIvalTypeDiscrete = 1;
    public const uint FrmIvalTypeContinuous = 2;
    public const uint FrmIvalTypeStepwise = 3;

    // enum v4l2_ctrl_type.
    public const uint CtrlTypeInteger = 1;
    public const uint CtrlTypeBoolean = 2;
    public const uint CtrlTypeMenu = 3;
    public const uint CtrlTypeButton = 4;
    public const uint CtrlTypeInteger64 = 5;
    public const uint CtrlTypeCtrlClass = 6;
    public const uint CtrlTypeString = 7;
    public const uint CtrlTypeBitmask = 8;
    public const uint CtrlTypeIntegerMenu = 9;

    // Control flags.
    public const uint CtrlFlagDisabled = 0x0001;
    public const uint CtrlFlagReadOnly = 0x0004;
    public const uint CtrlFlagInactive = 0x0010;
    public const uint CtrlFlagGrabbed = 0x0002;
    public const uint CtrlFlagUpdate = 0x0008;
    public const uint CtrlFlagWriteOnly = 0x0040;
    public const uint CtrlFlagVolatile = 0x0080;
    public const uint CtrlFlagExecuteOnWrite = 0x0200;

    // Extended controls: which values (V4L2_CTRL_WHICH_*).
    public const uint CtrlWhichCurVal = 0;
    public const uint CtrlWhichDefVal = 0x0f000000;

    // Events.
    public const uint EventCtrl = 3;
    public const uint EventCtrlChValue = 1;
    public const uint EventCtrlChFlags = 2;
    public const uint EventCtrlChRange = 4;
    public const uint EventSubFlSendInitial = 1;
    public const uint EventSubFlAllowFeedback = 2;
    public const uint CtrlFlagNextCtrl = 0x80000000;
    public const uint CtrlFlagNextCompound = 0x40000000;

    // Request codes: _IOR/_IOWR('V', nr, type); the size field comes from the mirrors above.
    public static readonly uint VIDIOC_QUERYCAP = Ior(0, Size<v4l2_capability>());
    public static readonly uint VIDIOC_ENUM_FMT = Iowr(2, Size<v4l2_fmtdesc>());
    public static readonly uint VIDIOC_G_FMT = Iowr(4, v4l2_format.KernelSize);
    public static readonly uint VIDIOC_G_CTRL = Iowr(27, Size<v4l2_control>());
    public static readonly uint VIDIOC_QUERYCTRL = Iowr(36, Size<v4l2_queryctrl>());
    public static readonly uint VIDIOC_ENUM_FRAMESIZES = Iowr(74, Size<v4l2_frmsizeenum>());
    public static readonly uint VIDIOC_ENUM_FRAMEINTERVALS = Iowr(75, Size<v4l2_frmivalenum>());
    public static readonly uint VIDIOC_QUERY_EXT_CTRL = Iowr(103, Size<v4l2_query_ext_ctrl>());
    public static readonly uint VIDIOC_QUERYMENU = Iowr(37, Size<v4l2_querymenu>());
    public static readonly uint VIDIOC_G_EXT_CTRLS = Iowr(71, Size<v4l2_ext_controls>());
    public static readonly uint VIDIOC_S_EXT_CTRLS = Iowr(72, Size<v4l2_ext_controls>());
    public static readonly uint VIDIOC_TRY_EXT_CTRLS = Iowr(73, Size<v4l2_ext_controls>());
    public static readonly uint VIDIOC_DQEVENT = Ior(89, Size<v4l2_event>());
    public static readonly uint VIDIOC_SUBSCRIBE_EVENT = Iow(90, Size<v4l2_event_subscription>());

    private const uint IocWrite = 1;
    private const uint IocRead = 2;

    /// <summary>The fourcc code of four ASCII characters (v4l2_fourcc).</summary>
    public static uint FourCc(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var padded = name.PadRight(4);
        return padded[0] | ((uint)padded[1] << 8) | ((uint)padded[2] << 16) | ((uint)padded[3] << 24);
    }

    /// <summary>The fourcc name of a code; the big-endian flag (bit 31) becomes a "-BE" suffix as in v4l2-ctl.</summary>
    public static string FourCcName(uint code)
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            var c = (char)((code >> (8 * i)) & (i == 3 ? 0x7Fu : 0xFFu));
            chars[i] = c is >= ' ' and <= '~' ? c : '?';
        }

        var name = new string(chars).TrimEnd();
        return (code & 0x80000000) != 0 ? name + "-BE" : name;
    }

    /// <summary>Reads a NUL-terminated UTF-8 string out of a fixed byte buffer.</summary>
    public static unsafe string ReadString(byte* buffer, int capacity)
    {
        var span = new ReadOnlySpan<byte>(buffer, capacity);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]).Trim();
    }

    /// <summary>Writes a NUL-terminated UTF-8 string into a fixed byte buffer (truncated like the kernel does).</summary>
    public static unsafe void WriteString(byte* buffer, int capacity, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var span = new Span<byte>(buffer, capacity);
        span.Clear();
        var bytes = Encoding.UTF8.GetBytes(value);
        bytes.AsSpan(0, Math.Min(bytes.Length, capacity - 1)).CopyTo(span);
    }

    private static unsafe int Size<T>()
        where T : unmanaged => sizeof(T);

    private static uint Ior(uint nr, int size) => Ioc(IocRead, nr, size);

    private static uint Iow(uint nr, int size) => Ioc(IocWrite, nr, size);

    private static uint Iowr(uint nr, int size) => Ioc(IocRead | IocWrite, nr, size);

    private static uint Ioc(uint dir, uint nr, int size) => (dir << 30) | ((uint)size << 16) | ((uint)'V' << 8) | nr;
}
