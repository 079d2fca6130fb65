using System.Globalization;
using System.Text.RegularExpressions;
using CameraService.Plugins.V4l2.Discovery;
using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Fakes;

/// <summary>A frame interval range of a fixture (min = shortest interval = highest rate).</summary>
internal sealed record FixtureInterval(uint Type, v4l2_fract Min, v4l2_fract Max, v4l2_fract Step);

/// <summary>A frame size (or size range) of a fixture format with its intervals.</summary>
internal sealed record FixtureSize(uint Type, uint MinWidth, uint MinHeight, uint MaxWidth, uint MaxHeight, uint StepWidth, uint StepHeight, IReadOnlyList<FixtureInterval> Intervals)
{
    public bool Contains(uint width, uint height) => Type == Vdev.FrmSizeTypeDiscrete
        ? width == MinWidth && height == MinHeight
        : width >= MinWidth && width <= MaxWidth && height >= MinHeight && height <= MaxHeight;
}

/// <summary>A pixel format of a fixture.</summary>
internal sealed record FixtureFormat(uint BufferType, uint PixelFormat, string Description, uint Flags, IReadOnlyList<FixtureSize> Sizes);

/// <summary>A menu entry of a fixture control (<c>--list-ctrls-menus</c> prints them under the control line).</summary>
/// <param name="Index">The entry's index (the control's value when it is selected).</param>
/// <param name="Label">The entry's name; for an integer menu the number as printed.</param>
/// <param name="Value">The integer of an integer-menu entry; 0 for a named menu.</param>
internal sealed record FixtureMenuItem(uint Index, string Label, long Value);

/// <summary>A control of a fixture.</summary>
internal sealed record FixtureControl(uint Id, uint Type, string Name, long Minimum, long Maximum, long Step, long Default, long Value, uint Flags)
{
    /// <summary>The menu entries of a menu or integer-menu control, in index order (indexes may have gaps).</summary>
    public IReadOnlyList<FixtureMenuItem> Menu { get; init; } = [];

    /// <summary>Array dimensions (<c>dims=[8][4]</c> in v4l2-ctl's listing); empty for a single value.</summary>
    public IReadOnlyList<uint> Dims { get; init; } = [];

    /// <summary>
    /// Whether the kernel treats the control as compound (its value is a payload: a string, an array, a compound
    /// type such as a rectangle); such controls carry V4L2_CTRL_FLAG_HAS_PAYLOAD and are left out of a
    /// NEXT_CTRL-only enumeration.
    /// </summary>
    public bool IsCompound => Type == Vdev.CtrlTypeString || Type >= Vdev.CtrlCompoundTypes || Dims.Count > 0 || (Flags & Vdev.CtrlFlagDynamicArray) != 0;
}

/// <summary>
/// Identity facts a <c>v4l2-ctl</c> dump does not contain (sysfs and udev links), given as <c>#! key: value</c>
/// directives in the fixture file.
/// </summary>
internal sealed record FixtureIdentity(
    string? UsbVendor,
    string? UsbProduct,
    string? UsbSerial,
    string? UsbManufacturer,
    string? UsbProductName,
    string? UsbPort,
    string? Controller,
    int Index,
    string? ById,
    string? ByPath,
    FixtureSound? Sound = null);

/// <summary>
/// The sound card of the same USB device (a webcam's microphone), from the <c>#! sound.*</c> directives: card number,
/// ALSA id, capture PCM device, and what the USB audio driver's <c>stream0</c> lists (rates as the kernel prints them:
/// <c>16000</c>, <c>16000, 48000</c> or <c>8000 - 48000 (continuous)</c>).
/// </summary>
public sealed record FixtureSound(int Card, string Id, int Device = 0, int Channels = 1, string Rates = "48000");

/// <summary>
/// One fake device node, parsed from a text file in the format of <c>v4l2-ctl --all --list-formats-ext</c>
/// (the parts discovery needs) plus <c>#!</c> directives for identity and failures. See docs/v4l2.md.
/// </summary>
internal sealed partial record Fixture(
    string Name,
    string Driver,
    string Card,
    string BusInfo,
    uint Capabilities,
    uint DeviceCaps,
    IReadOnlyList<FixtureFormat> Formats,
    uint CurrentPixelFormat,
    uint CurrentWidth,
    uint CurrentHeight,
    IReadOnlyList<FixtureControl> Controls,
    FixtureIdentity Identity,
    Errno OpenError)
{
    /// <summary>Parses a fixture; throws <see cref="FormatException"/> with the line number on malformed input.</summary>
    public static Fixture Parse(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        var directives = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string driver = "", card = "", bus = "";
        uint caps = 0, deviceCaps = 0;
        uint currentFormat = 0, currentWidth = 0, currentHeight = 0;
        var formats = new List<(uint BufferType, uint PixelFormat, string Description, uint Flags, List<(FixtureSize Size, List<FixtureInterval> Intervals)> Sizes)>();
        var controls = new List<FixtureControl>();
        var section = "";
        var enumType = Vdev.BufTypeVideoCapture;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("#!", StringComparison.Ordinal))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    throw new FormatException($"{name}:{lineNumber}: a directive needs the form '#! key: value'.");
                }

                directives[line[2..colon].Trim()] = line[(colon + 1)..].Trim();
                continue;
            }

            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // v4l2-ctl right-aligns control names in 31 columns: a longer (or exactly as long) name starts the line.
            if (!char.IsWhiteSpace(line[0]) && !ControlLine().IsMatch(line))
            {
                section = line.Trim().TrimEnd(':');
                if (section.StartsWith("ioctl: VIDIOC_ENUM_FMT", StringComparison.Ordinal))
                {
                    enumType = Vdev.BufTypeVideoCapture;
                }

                continue;
            }

            var trimmed = line.Trim();
            if (section == "Driver Info" && KeyValue().Match(trimmed) is { Success: true } kv)
            {
                var value = kv.Groups["value"].Value.Trim();
                switch (kv.Groups["key"].Value.Trim())
                {
                    case "Driver name": driver = value; break;
                    case "Card type": card = value; break;
                    case "Bus info": bus = value; break;
                    case "Capabilities": caps = ParseHex(value, name, lineNumber); break;
                    case "Device Caps": deviceCaps = ParseHex(value, name, lineNumber); break;
                }

                continue;
            }

            if (section.StartsWith("Format Video Capture", StringComparison.Ordinal) && KeyValue().Match(trimmed) is { Success: true } fv)
            {
                var value = fv.Groups["value"].Value.Trim();
                switch (fv.Groups["key"].Value.Trim())
                {
                    case "Width/Height":
                        var parts = value.Split('/');
                        currentWidth = uint.Parse(parts[0], CultureInfo.InvariantCulture);
                        currentHeight = uint.Parse(parts[1], CultureInfo.InvariantCulture);
                        break;
                    case "Pixel Format" when FourCcInQuotes().Match(value) is { Success: true } f:
                        currentFormat = ParseFourCc(f.Groups[1].Value);
                        break;
                }

                continue;
            }

            if (section.StartsWith("ioctl: VIDIOC_ENUM_FMT", StringComparison.Ordinal))
            {
                ParseEnumLine(trimmed);
                continue;
            }

            if (ControlLine().Match(trimmed) is { Success: true } c)
            {
                controls.Add(ParseControl(c, name, lineNumber));
            }
            else if (controls.Count > 0 && controls[^1].Type is Vdev.CtrlTypeMenu or Vdev.CtrlTypeIntegerMenu
                && MenuLine().Match(trimmed) is { Success: true } m)
            {
                var last = controls[^1];
                var label = m.Groups["label"].Value.Trim();
                long intValue = 0;
                if (last.Type == Vdev.CtrlTypeIntegerMenu)
                {
                    // v4l2-ctl prints an integer menu entry as "0: 1000000 (0xf4240)".
                    var number = label.Split(' ', 2)[0];
                    intValue = long.Parse(number, CultureInfo.InvariantCulture);
                    label = number;
                }

                controls[^1] = last with { Menu = [.. last.Menu, new FixtureMenuItem(uint.Parse(m.Groups["index"].Value, CultureInfo.InvariantCulture), label, intValue)] };
            }
        }

        if (caps == 0 && deviceCaps == 0 && !directives.ContainsKey("open-error"))
        {
            throw new FormatException($"{name}: no 'Driver Info:' block with 'Capabilities' found; paste the output of v4l2-ctl --all --list-formats-ext.");
        }

        var builtFormats = formats
            .Select(f => new FixtureFormat(f.BufferType, f.PixelFormat, f.Description, f.Flags,
                f.Sizes.Select(s => s.Size with { Intervals = s.Intervals }).ToList()))
            .ToList();
        if (currentFormat == 0 && builtFormats.FirstOrDefault(f => f.BufferType is Vdev.BufTypeVideoCapture or Vdev.BufTypeVideoCaptureMplane) is { Sizes.Count: > 0 } first)
        {
            currentFormat = first.PixelFormat;
            currentWidth = first.Sizes[0].MaxWidth;
            currentHeight = first.Sizes[0].MaxHeight;
        }

        var identity = new FixtureIdentity(
            Get("usb.vendor"), Get("usb.product"), Get("usb.serial"), Get("usb.manufacturer"), Get("usb.product-name"),
            Get("usb.port"), Get("controller"), int.TryParse(Get("index"), CultureInfo.InvariantCulture, out var index) ? index : 0,
            Get("by-id"), Get("by-path"), Sound());
        var openError = Get("open-error") is { } e ? ParseErrno(e, name) : Errno.None;
        return new Fixture(name, driver, card, bus, caps, deviceCaps, builtFormats, currentFormat, currentWidth, currentHeight, controls, identity, openError);

        string? Get(string key) => directives.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

        FixtureSound? Sound()
        {
            if (Get("sound.id") is not { } soundId)
            {
                return null;
            }

            int Number(string key, int fallback) => Get(key) is not { } v ? fallback
                : int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                : throw new FormatException($"{name}: '#! {key}' must be a whole number.");
            return new FixtureSound(Number("sound.card", 1), soundId, Number("sound.device", 0), Number("sound.channels", 1), Get("sound.rates") ?? "48000");
        }

        void ParseEnumLine(string trimmed)
        {
            if (trimmed.StartsWith("Type:", StringComparison.Ordinal))
            {
                enumType = trimmed[5..].Trim() switch
                {
                    "Video Capture" => Vdev.BufTypeVideoCapture,
                    "Video Capture Multiplanar" => Vdev.BufTypeVideoCaptureMplane,
                    _ => 0,
                };
                return;
            }

            if (FormatLine().Match(trimmed) is { Success: true } fm)
            {
                var description = fm.Groups["desc"].Value;
                uint flags = 0;
                foreach (var (suffix, flag) in new[] { (", compressed", Vdev.FmtFlagCompressed), (", emulated", Vdev.FmtFlagEmulated) })
                {
                    if (description.Contains(suffix, StringComparison.Ordinal))
                    {
                        flags |= flag;
                        description = description.Replace(suffix, "", StringComparison.Ordinal);
                    }
                }

                formats.Add((enumType, ParseFourCc(fm.Groups["fourcc"].Value), description, flags, []));
                return;
            }

            if (formats.Count == 0)
            {
                return;
            }

            var sizes = formats[^1].Sizes;
            if (DiscreteSize().Match(trimmed) is { Success: true } ds)
            {
                var w = U(ds.Groups[1]);
                var h = U(ds.Groups[2]);
                sizes.Add((new FixtureSize(Vdev.FrmSizeTypeDiscrete, w, h, w, h, 1, 1, []), []));
            }
            else if (RangeSize().Match(trimmed) is { Success: true } rs)
            {
                var stepwise = rs.Groups["kind"].Value == "Stepwise";
                var size = new FixtureSize(
                    stepwise ? Vdev.FrmSizeTypeStepwise : Vdev.FrmSizeTypeContinuous,
                    U(rs.Groups[1]), U(rs.Groups[2]), U(rs.Groups[3]), U(rs.Groups[4]),
                    rs.Groups[5].Success ? U(rs.Groups[5]) : 1, rs.Groups[6].Success ? U(rs.Groups[6]) : 1, []);
                sizes.Add((size, []));
            }
            else if (sizes.Count > 0 && DiscreteInterval().Match(trimmed) is { Success: true } di)
            {
                var fract = FpsToInterval(di.Groups[1].Value);
                sizes[^1].Intervals.Add(new FixtureInterval(Vdev.FrmIvalTypeDiscrete, fract, fract, fract));
            }
            else if (sizes.Count > 0 && RangeInterval().Match(trimmed) is { Success: true } ri)
            {
                var a = FpsToInterval(ri.Groups["low"].Value);
                var b = FpsToInterval(ri.Groups["high"].Value);
                var type = ri.Groups["kind"].Value == "Stepwise" ? Vdev.FrmIvalTypeStepwise : Vdev.FrmIvalTypeContinuous;
                sizes[^1].Intervals.Add(new FixtureInterval(type, b, a, new v4l2_fract { numerator = 1, denominator = 1000 }));
            }
        }
    }

    /// <summary>Reads a fixture file.</summary>
    public static Fixture Load(string path) => Parse(Path.GetFileName(path), File.ReadAllText(path));

    internal static Errno ParseErrno(string value, string source) =>
        Enum.TryParse<Errno>(value.Trim(), ignoreCase: true, out var errno) && errno != Errno.None
            ? errno
            : throw new FormatException($"{source}: unknown errno '{value}' (use e.g. EBUSY, EACCES, ENXIO, ENODEV, ENOTTY).");

    /// <summary>"30.000" fps as the interval 1000/30000 s, exact for rates with up to three decimals.</summary>
    private static v4l2_fract FpsToInterval(string fps) => new()
    {
        numerator = 1000,
        denominator = (uint)Math.Round(double.Parse(fps, CultureInfo.InvariantCulture) * 1000),
    };

    private static uint ParseFourCc(string text)
    {
        var bigEndian = text.EndsWith("-BE", StringComparison.Ordinal);
        var code = Vdev.FourCc(bigEndian ? text[..^3] : text);
        return bigEndian ? code | 0x80000000 : code;
    }

    private static uint U(Group group) => uint.Parse(group.Value, CultureInfo.InvariantCulture);

    private static uint ParseHex(string value, string name, int line)
    {
        var text = value.Trim();
        return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && uint.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new FormatException($"{name}:{line}: expected a hex value like 0x84a00001, got '{value}'.");
    }

    private static FixtureControl ParseControl(Match match, string name, int line)
    {
        var identifier = match.Groups["name"].Value;
        var type = DeviceProber.TypeCode(match.Groups["type"].Value);
        var rest = match.Groups["rest"].Value;
        uint flags = 0;
        var flagsAt = rest.IndexOf("flags=", StringComparison.Ordinal);
        if (flagsAt >= 0)
        {
            foreach (var flag in rest[(flagsAt + 6)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                flags |= flag switch
                {
                    "disabled" => Vdev.CtrlFlagDisabled,
                    "read-only" => Vdev.CtrlFlagReadOnly,
                    "inactive" => Vdev.CtrlFlagInactive,
                    "write-only" => Vdev.CtrlFlagWriteOnly,
                    "grabbed" => Vdev.CtrlFlagGrabbed,
                    "volatile" => Vdev.CtrlFlagVolatile,
                    "execute-on-write" => Vdev.CtrlFlagExecuteOnWrite,
                    "has-payload" => Vdev.CtrlFlagHasPayload,
                    "dynamic-array" => Vdev.CtrlFlagDynamicArray,
                    _ => 0,
                };
            }

            rest = rest[..flagsAt];
        }

        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (Match kv in ControlValue().Matches(rest))
        {
            var number = kv.Groups[2].Value;
            values[kv.Groups[1].Value] = number.StartsWith("0x", StringComparison.Ordinal)
                ? long.Parse(number[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                : long.Parse(number, CultureInfo.InvariantCulture);
        }

        var dimsAt = rest.IndexOf("dims=", StringComparison.Ordinal);
        List<uint> dims = dimsAt < 0 ? [] : [.. Dimensions().Matches(rest[dimsAt..].Split(' ')[0]).Select(d => uint.Parse(d.Groups[1].Value, CultureInfo.InvariantCulture))];

        var isBool = type == Vdev.CtrlTypeBoolean;
        var isButton = type == Vdev.CtrlTypeButton;
        long Value(string key, long fallback) => values.TryGetValue(key, out var v) ? v : fallback;
        var id = uint.Parse(match.Groups["id"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var control = new FixtureControl(
            id, type, DisplayName(identifier),
            Value("min", 0), Value("max", isBool || isButton ? 1 : 0), Value("step", 1), Value("default", 0), Value("value", Value("default", 0)), flags)
        {
            Dims = dims,
        };

        // v4l2-ctl prints no default for a payload (a string, an array, a rectangle): only single values need one.
        if (!isButton && !control.IsCompound && !values.ContainsKey("default"))
        {
            throw new FormatException($"{name}:{line}: control '{identifier}' has no default=.");
        }

        // The kernel sets HAS_PAYLOAD for every compound control.
        return control.IsCompound ? control with { Flags = flags | Vdev.CtrlFlagHasPayload } : control;
    }

    /// <summary>v4l2-ctl prints identifiers (<c>white_balance_automatic</c>); drivers report names (<c>White Balance Automatic</c>).</summary>
    private static string DisplayName(string identifier) =>
        string.Join(' ', identifier.Split('_', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    [GeneratedRegex(@"^(?<key>[^:]+?)\s*:\s*(?<value>.*)$")]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"'([^']{1,7})'")]
    private static partial Regex FourCcInQuotes();

    [GeneratedRegex(@"^\[\d+\]:\s*'(?<fourcc>[^']{1,7})'\s*\((?<desc>.*)\)\s*$")]
    private static partial Regex FormatLine();

    [GeneratedRegex(@"^Size: Discrete (\d+)x(\d+)")]
    private static partial Regex DiscreteSize();

    [GeneratedRegex(@"^Size: (?<kind>Stepwise|Continuous) (\d+)x(\d+) - (\d+)x(\d+)(?: with step (\d+)/(\d+))?")]
    private static partial Regex RangeSize();

    [GeneratedRegex(@"^Interval: Discrete [\d.]+s \(([\d.]+) fps\)")]
    private static partial Regex DiscreteInterval();

    [GeneratedRegex(@"^Interval: (?<kind>Stepwise|Continuous) .*\((?<low>[\d.]+)-(?<high>[\d.]+) fps\)")]
    private static partial Regex RangeInterval();

    [GeneratedRegex(@"^(?<name>[a-z0-9_]+)\s+0x(?<id>[0-9a-fA-F]{8})\s+\((?<type>[a-z0-9_]+)\)\s*:\s*(?<rest>.*)$")]
    private static partial Regex ControlLine();

    [GeneratedRegex(@"^(?<index>\d+): (?<label>.+)$")]
    private static partial Regex MenuLine();

    [GeneratedRegex(@"\b(min|max|step|default|value)=(0x[0-9a-fA-F]+|-?\d+)")]
    private static partial Regex ControlValue();

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex Dimensions();
}
