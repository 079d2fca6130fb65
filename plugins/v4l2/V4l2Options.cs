using CameraService.Plugins.V4l2.Native;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.V4l2;

/// <summary>Options of the v4l2 plugin, bound from <c>Plugins:V4l2</c>. Every key is documented in docs/v4l2.md.</summary>
internal sealed class V4l2Options
{
    public const string SectionName = "Plugins:V4l2";

    /// <summary>Where the <c>video*</c> nodes and the <c>v4l/by-id</c>, <c>v4l/by-path</c> links live.</summary>
    public string DeviceRoot { get; set; } = "/dev";

    /// <summary>The sysfs mount (USB vendor, product, serial and port of each node).</summary>
    public string SysfsRoot { get; set; } = "/sys";

    /// <summary>The procfs mount (<c>asound/cardM/stream0</c>: sample rate and channels of a paired microphone).</summary>
    public string ProcfsRoot { get; set; } = "/proc";

    /// <summary>Pair each USB camera with the ALSA capture device of the same USB device (its microphone).</summary>
    public bool Audio { get; set; } = true;

    /// <summary>Largest default capture width.</summary>
    public int MaxWidth { get; set; } = 1920;

    /// <summary>Largest default capture height.</summary>
    public int MaxHeight { get; set; } = 1080;

    /// <summary>Lowest acceptable default frame rate.</summary>
    public double MinFps { get; set; } = 15;

    /// <summary>Highest default frame rate (a 60 fps mode is chosen only when asked for).</summary>
    public double MaxFps { get; set; } = 30;

    /// <summary>Pixel formats preferred for the default capture mode, best first; others follow.</summary>
    public IList<string> PreferredFormats { get; set; } = [];

    /// <summary>Full rescan period: the safety net behind netlink and inotify.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a new node whose driver is not ready yet is retried before it is reported in error.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long hot-plug signals are gathered before the nodes they name are probed.</summary>
    public TimeSpan DebounceInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Listen to kernel uevents over netlink (primary hot-plug signal).</summary>
    public bool UseNetlink { get; set; } = true;

    /// <summary>Watch the device root with inotify (second hot-plug signal).</summary>
    public bool UseInotify { get; set; } = true;

    /// <summary>Test/demo aid: answer ioctls from fixture files in this directory instead of the kernel.</summary>
    public string? FakeDevicesDirectory { get; set; }

    /// <summary>Per-camera capture settings, keyed by stable id.</summary>
    public IDictionary<string, V4l2CameraOptions> Cameras { get; set; } = new Dictionary<string, V4l2CameraOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The preferred formats in effect (H264, MJPG when none are configured).</summary>
    public IReadOnlyList<string> EffectivePreferredFormats => PreferredFormats.Count > 0 ? [.. PreferredFormats] : ["H264", "MJPG"];

    /// <summary>
    /// Binds each <c>Cameras:&lt;stableId&gt;</c> entry on its own: the configuration binder drops a dictionary entry whose
    /// value cannot be converted (<c>Fps: "fast"</c>) without a word, while a direct bind reports it like any other option.
    /// </summary>
    /// <param name="cameras">The <c>Plugins:V4l2:Cameras</c> section.</param>
    public void BindCamerasStrictly(IConfigurationSection cameras)
    {
        ArgumentNullException.ThrowIfNull(cameras);
        foreach (var camera in cameras.GetChildren())
        {
            Cameras[camera.Key] = camera.Get<V4l2CameraOptions>() ?? new V4l2CameraOptions();
        }
    }

    /// <summary>The override of a camera, looked up case-insensitively.</summary>
    public V4l2CameraOptions? CameraOverride(string stableId) =>
        Cameras.FirstOrDefault(c => string.Equals(c.Key, stableId, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>Capture settings of one camera (<c>Plugins:V4l2:Cameras:&lt;stableId&gt;</c>); unset values use the defaults.</summary>
internal sealed class V4l2CameraOptions
{
    /// <summary>Fourcc of the capture format, e.g. <c>MJPG</c>.</summary>
    public string? PixelFormat { get; set; }

    /// <summary>Capture width.</summary>
    public int? Width { get; set; }

    /// <summary>Capture height.</summary>
    public int? Height { get; set; }

    /// <summary>Capture frame rate.</summary>
    public double? Fps { get; set; }

    /// <summary>False leaves this camera without audio even when a microphone is paired with it.</summary>
    public bool? Audio { get; set; }
}

/// <summary>Rejects option values that cannot work, with a message naming the key.</summary>
internal sealed class V4l2OptionsValidator : IValidateOptions<V4l2Options>
{
    public ValidateOptionsResult Validate(string? name, V4l2Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DeviceRoot) || !Path.IsPathRooted(options.DeviceRoot))
        {
            errors.Add("Plugins:V4l2:DeviceRoot must be an absolute directory path (default /dev).");
        }

        if (string.IsNullOrWhiteSpace(options.SysfsRoot) || !Path.IsPathRooted(options.SysfsRoot))
        {
            errors.Add("Plugins:V4l2:SysfsRoot must be an absolute directory path (default /sys).");
        }

        if (string.IsNullOrWhiteSpace(options.ProcfsRoot) || !Path.IsPathRooted(options.ProcfsRoot))
        {
            errors.Add("Plugins:V4l2:ProcfsRoot must be an absolute directory path (default /proc).");
        }

        if (options.MaxWidth is < 16 or > 16384 || options.MaxHeight is < 16 or > 16384)
        {
            errors.Add("Plugins:V4l2:MaxWidth and MaxHeight must be between 16 and 16384.");
        }

        if (options.MinFps is < 0 or > 1000 || options.MaxFps is <= 0 or > 1000 || options.MinFps > options.MaxFps)
        {
            errors.Add("Plugins:V4l2:MinFps must be between 0 and MaxFps, and MaxFps between 0 and 1000.");
        }

        if (options.PreferredFormats.Any(f => f is null || f.Length is < 1 or > 4))
        {
            errors.Add("Plugins:V4l2:PreferredFormats must list fourcc names such as H264 or MJPG.");
        }

        if (options.ReconcileInterval < TimeSpan.FromMilliseconds(100) || options.ReconcileInterval > TimeSpan.FromHours(1))
        {
            errors.Add("Plugins:V4l2:ReconcileInterval must be between 00:00:00.1 and 01:00:00.");
        }

        if (options.ProbeTimeout < TimeSpan.Zero || options.ProbeTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add("Plugins:V4l2:ProbeTimeout must be between 0 and 00:05:00.");
        }

        if (options.DebounceInterval < TimeSpan.Zero || options.DebounceInterval > TimeSpan.FromSeconds(2))
        {
            errors.Add("Plugins:V4l2:DebounceInterval must be between 0 and 00:00:02.");
        }

        if (options.FakeDevicesDirectory is { Length: > 0 } fake)
        {
            if (!SimulatedDeviceMode.IsInstalled)
            {
                errors.Add($"Plugins:V4l2:FakeDevicesDirectory is a test and demo aid that needs {SimulatedDeviceMode.AssemblyName}.dll in the plugin folder " +
                    $"({Path.GetDirectoryName(SimulatedDeviceMode.AssemblyPath)}), which release packages do not ship; remove the key to use real devices " +
                    "(from a source tree: `dotnet build tests/CameraService.Plugins.V4l2.Fakes -c Release` installs it into the Release build of the host).");
            }
            else if (!Directory.Exists(V4l2Plugin.ResolvePluginPath(fake)))
            {
                errors.Add("Plugins:V4l2:FakeDevicesDirectory does not exist; remove the key to use real devices.");
            }
        }

        foreach (var (id, camera) in options.Cameras)
        {
            if (camera.PixelFormat is { } f && f.Length is < 1 or > 4)
            {
                errors.Add($"Plugins:V4l2:Cameras:{id}:PixelFormat must be a fourcc name such as MJPG.");
            }

            if (camera.Width is <= 0 || camera.Height is <= 0 || camera.Fps is <= 0)
            {
                errors.Add($"Plugins:V4l2:Cameras:{id}: Width, Height and Fps must be positive.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
