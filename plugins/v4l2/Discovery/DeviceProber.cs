using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Discovery;

/// <summary>What one device node turned out to be.</summary>
internal enum ProbeStatus
{
    /// <summary>A video capture device; <see cref="ProbeOutcome.Device"/> is set.</summary>
    Capture,

    /// <summary>A V4L2 node that is not a camera (metadata, output, codec); ignored.</summary>
    NotCapture,

    /// <summary>Opening or querying failed; <see cref="ProbeOutcome.Error"/> says why.</summary>
    Failed,
}

/// <summary>The V4L2 facts read from a capture device.</summary>
internal sealed record DeviceInfo(
    string Driver,
    string Card,
    string BusInfo,
    uint Capabilities,
    uint DeviceCaps,
    IReadOnlyList<CameraFormat> Formats,
    IReadOnlyList<CameraControl> Controls,
    string? CurrentFourCc,
    int CurrentWidth,
    int CurrentHeight);

/// <summary>The result of probing one node.</summary>
internal sealed record ProbeOutcome(ProbeStatus Status, DeviceInfo? Device, SyscallResult Error, string? Card)
{
    public static ProbeOutcome Failed(SyscallResult error, string? card = null) => new(ProbeStatus.Failed, null, error, card);
}

/// <summary>
/// Reads one device node through <see cref="IVideoSyscalls"/>: capabilities, formats with sizes and frame rates,
/// the current format and the controls. Enumerations end at EINVAL, as the V4L2 API defines.
/// </summary>
internal sealed class DeviceProber(IVideoSyscalls syscalls)
{
    // A driver that never answers EINVAL must not keep discovery busy forever.
    private const int MaxEnumeration = 512;

    private static readonly (int Width, int Height)[] CommonSizes =
    [
        (3840, 2160), (2592, 1944), (2560, 1440), (1920, 1080), (1600, 1200), (1280, 960), (1280, 720),
        (1024, 768), (800, 600), (640, 480), (320, 240), (160, 120),
    ];

    private static readonly double[] CommonRates = [120, 90, 60, 50, 30, 25, 24, 20, 15, 10, 5, 1];

    public ProbeOutcome Probe(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var open = syscalls.Open(path, out var fd);
        if (!open.Ok)
        {
            return ProbeOutcome.Failed(open);
        }

        try
        {
            return Probe(fd);
        }
        finally
        {
            syscalls.Close(fd);
        }
    }

    private unsafe ProbeOutcome Probe(int fd)
    {
        var cap = default(v4l2_capability);
        var query = syscalls.Ioctl(fd, Vdev.VIDIOC_QUERYCAP, ref cap);
        if (!query.Ok)
        {
            return ProbeOutcome.Failed(query);
        }

        var driver = Vdev.ReadString(cap.driver, 16);
        var card = Vdev.ReadString(cap.card, 32);
        var bus = Vdev.ReadString(cap.bus_info, 32);
        var deviceCaps = (cap.capabilities & Vdev.CapDeviceCaps) != 0 ? cap.device_caps : cap.capabilities;
        var bufferType = CaptureBufferType(deviceCaps);
        if (bufferType is null)
        {
            return new ProbeOutcome(ProbeStatus.NotCapture, null, SyscallResult.Success, card);
        }

        var formats = EnumerateFormats(fd, bufferType.Value, out var formatError);
        if (formatError.Failure is DeviceFailure.NoDevice or DeviceFailure.NotReady or DeviceFailure.Gone)
        {
            return ProbeOutcome.Failed(formatError, card);
        }

        var current = default(v4l2_format);
        current.type = bufferType.Value;
        string? currentFourCc = null;
        int currentWidth = 0, currentHeight = 0;
        if (syscalls.Ioctl(fd, Vdev.VIDIOC_G_FMT, ref current).Ok)
        {
            var pix = current.Pix;
            currentFourCc = Vdev.FourCcName(pix.pixelformat);
            currentWidth = (int)pix.width;
            currentHeight = (int)pix.height;
        }

        var controls = EnumerateControls(fd);
        var device = new DeviceInfo(driver, card, bus, cap.capabilities, deviceCaps, formats, controls, currentFourCc, currentWidth, currentHeight);
        return new ProbeOutcome(ProbeStatus.Capture, device, SyscallResult.Success, card);
    }

    /// <summary>The buffer type to enumerate, or null when the node is not a camera.</summary>
    internal static uint? CaptureBufferType(uint deviceCaps)
    {
        // Memory-to-memory devices (codecs, scalers) and output nodes advertise capture queues too, but are no cameras.
        const uint notCamera = Vdev.CapVideoOutput | Vdev.CapVideoOutputMplane | Vdev.CapVideoM2m | Vdev.CapVideoM2mMplane;
        if ((deviceCaps & notCamera) != 0)
        {
            return null;
        }

        if ((deviceCaps & Vdev.CapVideoCapture) != 0)
        {
            return Vdev.BufTypeVideoCapture;
        }

        return (deviceCaps & Vdev.CapVideoCaptureMplane) != 0 ? Vdev.BufTypeVideoCaptureMplane : null;
    }

    private unsafe List<CameraFormat> EnumerateFormats(int fd, uint bufferType, out SyscallResult error)
    {
        var formats = new List<CameraFormat>();
        error = SyscallResult.Success;
        for (uint index = 0; index < MaxEnumeration; index++)
        {
            var desc = new v4l2_fmtdesc { index = index, type = bufferType };
            var result = syscalls.Ioctl(fd, Vdev.VIDIOC_ENUM_FMT, ref desc);
            if (!result.Ok)
            {
                error = result.Errno == Errno.EINVAL ? SyscallResult.Success : result;
                break;
            }

            var fourCc = Vdev.FourCcName(desc.pixelformat);
            if (formats.Exists(f => f.FourCc == fourCc))
            {
                continue;
            }

            var description = Vdev.ReadString(desc.description, 32);
            var sizes = EnumerateSizes(fd, desc.pixelformat);
            formats.Add(new CameraFormat { FourCc = fourCc, Description = description, Compressed = (desc.flags & Vdev.FmtFlagCompressed) != 0, Sizes = sizes });
        }

        return formats;
    }

    private List<FrameSize> EnumerateSizes(int fd, uint pixelFormat)
    {
        var sizes = new List<FrameSize>();
        for (uint index = 0; index < MaxEnumeration; index++)
        {
            var size = new v4l2_frmsizeenum { index = index, pixel_format = pixelFormat };
            if (!syscalls.Ioctl(fd, Vdev.VIDIOC_ENUM_FRAMESIZES, ref size).Ok)
            {
                break;
            }

            if (size.type == Vdev.FrmSizeTypeDiscrete)
            {
                AddSize(fd, pixelFormat, sizes, (int)size.discrete.width, (int)size.discrete.height);
                continue;
            }

            // Stepwise and continuous ranges are reported as the maximum, the common sizes inside the range, and
            // the minimum: clients and the capture-mode choice need concrete sizes, not a range.
            var s = size.stepwise;
            var stepWidth = size.type == Vdev.FrmSizeTypeContinuous ? 1u : Math.Max(1u, s.step_width);
            var stepHeight = size.type == Vdev.FrmSizeTypeContinuous ? 1u : Math.Max(1u, s.step_height);
            AddSize(fd, pixelFormat, sizes, (int)s.max_width, (int)s.max_height);
            foreach (var (width, height) in CommonSizes)
            {
                if (width >= s.min_width && width <= s.max_width && height >= s.min_height && height <= s.max_height
                    && (width - s.min_width) % stepWidth == 0 && (height - s.min_height) % stepHeight == 0)
                {
                    AddSize(fd, pixelFormat, sizes, width, height);
                }
            }

            AddSize(fd, pixelFormat, sizes, (int)s.min_width, (int)s.min_height);
            break;
        }

        return sizes;
    }

    private void AddSize(int fd, uint pixelFormat, List<FrameSize> sizes, int width, int height)
    {
        if (width <= 0 || height <= 0 || sizes.Exists(s => s.Width == width && s.Height == height))
        {
            return;
        }

        sizes.Add(new FrameSize { Width = width, Height = height, FrameRates = EnumerateRates(fd, pixelFormat, (uint)width, (uint)height) });
    }

    private List<double> EnumerateRates(int fd, uint pixelFormat, uint width, uint height)
    {
        var rates = new List<double>();
        for (uint index = 0; index < MaxEnumeration; index++)
        {
            var interval = new v4l2_frmivalenum { index = index, pixel_format = pixelFormat, width = width, height = height };
            if (!syscalls.Ioctl(fd, Vdev.VIDIOC_ENUM_FRAMEINTERVALS, ref interval).Ok)
            {
                break;
            }

            if (interval.type == Vdev.FrmIvalTypeDiscrete)
            {
                AddRate(rates, Fps(interval.discrete));
                continue;
            }

            // The shortest interval is the highest rate.
            var fastest = Fps(interval.stepwise.min);
            var slowest = Fps(interval.stepwise.max);
            AddRate(rates, fastest);
            foreach (var rate in CommonRates)
            {
                if (rate < fastest && rate > slowest)
                {
                    AddRate(rates, rate);
                }
            }

            AddRate(rates, slowest);
            break;
        }

        rates.Sort((a, b) => b.CompareTo(a));
        return rates;
    }

    /// <summary>Frame rate of an interval, rounded to 3 decimals (UVC reports 30 fps as 333333/10000000 s).</summary>
    internal static double Fps(v4l2_fract interval) =>
        interval.numerator == 0 || interval.denominator == 0 ? 0 : Math.Round((double)interval.denominator / interval.numerator, 3);

    private static void AddRate(List<double> rates, double rate)
    {
        if (rate > 0 && !rates.Contains(rate))
        {
            rates.Add(rate);
        }
    }

    private unsafe List<CameraControl> EnumerateControls(int fd)
    {
        var controls = new List<CameraControl>();
        var next = Vdev.CtrlFlagNextCtrl;
        for (var i = 0; i < MaxEnumeration; i++)
        {
            var query = new v4l2_query_ext_ctrl { id = next };
            var result = syscalls.Ioctl(fd, Vdev.VIDIOC_QUERY_EXT_CTRL, ref query);
            if (result.Errno == Errno.ENOTTY && i == 0)
            {
                return EnumerateLegacyControls(fd);
            }

            if (!result.Ok)
            {
                break;
            }

            next = query.id | Vdev.CtrlFlagNextCtrl;
            if (query.type == Vdev.CtrlTypeCtrlClass || (query.flags & Vdev.CtrlFlagDisabled) != 0)
            {
                continue;
            }

            var name = Vdev.ReadString(query.name, 32);
            controls.Add(new CameraControl
            {
                Id = query.id,
                Name = name,
                Type = TypeName(query.type),
                Minimum = query.minimum,
                Maximum = query.maximum,
                Step = (long)query.step,
                Default = query.default_value,
                Current = ReadCurrent(fd, query.id, query.type, query.flags),
            });
        }

        return controls;
    }

    private unsafe List<CameraControl> EnumerateLegacyControls(int fd)
    {
        var controls = new List<CameraControl>();
        var next = Vdev.CtrlFlagNextCtrl;
        for (var i = 0; i < MaxEnumeration; i++)
        {
            var query = new v4l2_queryctrl { id = next };
            if (!syscalls.Ioctl(fd, Vdev.VIDIOC_QUERYCTRL, ref query).Ok)
            {
                break;
            }

            next = query.id | Vdev.CtrlFlagNextCtrl;
            if (query.type == Vdev.CtrlTypeCtrlClass || (query.flags & Vdev.CtrlFlagDisabled) != 0)
            {
                continue;
            }

            controls.Add(new CameraControl
            {
                Id = query.id,
                Name = Vdev.ReadString(query.name, 32),
                Type = TypeName(query.type),
                Minimum = query.minimum,
                Maximum = query.maximum,
                Step = query.step,
                Default = query.default_value,
                Current = ReadCurrent(fd, query.id, query.type, query.flags),
            });
        }

        return controls;
    }

    private long? ReadCurrent(int fd, uint id, uint type, uint flags)
    {
        // VIDIOC_G_CTRL carries a 32-bit value: 64-bit, string and compound controls, buttons and write-only ones are skipped.
        if ((flags & Vdev.CtrlFlagWriteOnly) != 0
            || type is not (Vdev.CtrlTypeInteger or Vdev.CtrlTypeBoolean or Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu or Vdev.CtrlTypeBitmask))
        {
            return null;
        }

        var control = new v4l2_control { id = id };
        return syscalls.Ioctl(fd, Vdev.VIDIOC_G_CTRL, ref control).Ok ? control.value : null;
    }

    internal static string TypeName(uint type) => type switch
    {
        Vdev.CtrlTypeInteger => CameraControlTypes.Range,
        Vdev.CtrlTypeBoolean => CameraControlTypes.Boolean,
        Vdev.CtrlTypeMenu => CameraControlTypes.Menu,
        Vdev.CtrlTypeButton => CameraControlTypes.Button,
        Vdev.CtrlTypeInteger64 => CameraControlTypes.Range64,
        Vdev.CtrlTypeString => CameraControlTypes.Text,
        Vdev.CtrlTypeBitmask => CameraControlTypes.Bitmask,
        Vdev.CtrlTypeIntegerMenu => CameraControlTypes.IntegerMenu,
        _ => CameraControlTypes.Compound,
    };

    internal static uint TypeCode(string name) => name switch
    {
        "int" => Vdev.CtrlTypeInteger,
        "bool" => Vdev.CtrlTypeBoolean,
        "menu" => Vdev.CtrlTypeMenu,
        "button" => Vdev.CtrlTypeButton,
        "int64" => Vdev.CtrlTypeInteger64,
        "str" or "string" => Vdev.CtrlTypeString,
        "bitmask" => Vdev.CtrlTypeBitmask,
        "intmenu" or "integer_menu" => Vdev.CtrlTypeIntegerMenu,
        "u16" => Vdev.CtrlCompoundTypes + 1,
        "u32" => Vdev.CtrlCompoundTypes + 2,
        "area" => Vdev.CtrlCompoundTypes + 6,
        "rect" => Vdev.CtrlCompoundTypes + 7,
        _ => Vdev.CtrlCompoundTypes, // u8 and the codec structs: some compound type
    };
}
