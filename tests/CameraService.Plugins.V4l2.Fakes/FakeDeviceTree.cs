using System.Globalization;

namespace CameraService.Plugins.V4l2.Fakes;

/// <summary>
/// Test and demo aid: a fake device tree (a device root and a sysfs root with real files and symlinks, laid out
/// like <c>/dev</c> and <c>/sys</c>) in which fixture cameras are plugged and unplugged. Run the plugin against it
/// with <c>Plugins:V4l2:DeviceRoot</c>, <c>SysfsRoot</c> and <c>FakeDevicesDirectory</c> (see
/// <see cref="ConfigurationFor"/> and docs/v4l2.md). Never used by the plugin itself.
/// </summary>
public sealed class FakeDeviceTree : IDisposable
{
    private const string DefaultController = "0000:00:14.0";
    private readonly bool _ownsRoot;
    private readonly Dictionary<string, int> _soundOfNode = new(StringComparer.Ordinal);
    private int _plugCounter;

    private FakeDeviceTree(string root, string fixturesDirectory, bool ownsRoot)
    {
        Root = root;
        DeviceRoot = Path.Combine(root, "dev");
        SysfsRoot = Path.Combine(root, "sys");
        ProcfsRoot = Path.Combine(root, "proc");
        FixturesDirectory = fixturesDirectory;
        _ownsRoot = ownsRoot;
        Directory.CreateDirectory(DeviceRoot);
        Directory.CreateDirectory(Path.Combine(SysfsRoot, "class", "video4linux"));
    }

    /// <summary>The fixtures shipped with the plugin (<c>fixtures/v4l2</c> next to the plugin assembly).</summary>
    public static string BundledFixturesDirectory =>
        Path.Combine(Path.GetDirectoryName(typeof(FakeDeviceTree).Assembly.Location) ?? AppContext.BaseDirectory, "fixtures", "v4l2");

    /// <summary>The directory holding the device and sysfs roots.</summary>
    public string Root { get; }

    /// <summary>The fake <c>/dev</c>.</summary>
    public string DeviceRoot { get; }

    /// <summary>The fake <c>/sys</c>.</summary>
    public string SysfsRoot { get; }

    /// <summary>The fake <c>/proc</c> (only <c>asound/cardM</c> of plugged sound cards).</summary>
    public string ProcfsRoot { get; }

    /// <summary>Where the fixture files are read from.</summary>
    public string FixturesDirectory { get; }

    /// <summary>Creates a tree in a new temporary directory, deleted by <see cref="Dispose"/>.</summary>
    /// <param name="fixturesDirectory">Fixture files; the bundled ones when null.</param>
    public static FakeDeviceTree CreateTemporary(string? fixturesDirectory = null) =>
        new(Directory.CreateTempSubdirectory("camera-service-v4l2-").FullName, fixturesDirectory ?? BundledFixturesDirectory, ownsRoot: true);

    /// <summary>Creates (or reuses) a tree under <paramref name="root"/>, which is kept on dispose.</summary>
    public static FakeDeviceTree Open(string root, string? fixturesDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        return new FakeDeviceTree(Path.GetFullPath(root), fixturesDirectory ?? BundledFixturesDirectory, ownsRoot: false);
    }

    /// <summary>The configuration keys that run the v4l2 plugin against this tree.</summary>
    public IReadOnlyDictionary<string, string?> ConfigurationFor() => new Dictionary<string, string?>
    {
        ["Plugins:V4l2:DeviceRoot"] = DeviceRoot,
        ["Plugins:V4l2:SysfsRoot"] = SysfsRoot,
        ["Plugins:V4l2:ProcfsRoot"] = ProcfsRoot,
        ["Plugins:V4l2:FakeDevicesDirectory"] = FixturesDirectory,
    };

    /// <summary>
    /// Plugs a camera: writes its sysfs entries, its <c>v4l/by-id</c> and <c>v4l/by-path</c> links (as udev would)
    /// and finally the device node itself (atomically, by rename).
    /// </summary>
    /// <param name="node">The node name, e.g. <c>video0</c>.</param>
    /// <param name="fixture">The fixture file name, e.g. <c>uvc-webcam.txt</c>.</param>
    /// <param name="usbPort">The sysfs USB port (e.g. <c>1-4</c>), overriding the fixture's; changes the bus info too.</param>
    /// <param name="openErrors">Errnos the first opens return (e.g. <c>ENXIO</c> for a node whose driver is not ready).</param>
    /// <returns>The device node path.</returns>
    public string Plug(string node, string fixture, string? usbPort = null, IReadOnlyList<string>? openErrors = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        ArgumentException.ThrowIfNullOrEmpty(fixture);
        var parsed = Fixture.Load(Path.Combine(FixturesDirectory, fixture));
        var id = parsed.Identity;
        var port = usbPort ?? id.UsbPort;
        var controller = id.Controller ?? DefaultController;
        string? busInfo = null;
        string videoDir;
        if (id.UsbVendor is not null && port is not null)
        {
            var bus = port.Split('-')[0];
            var devpath = port[(port.IndexOf('-', StringComparison.Ordinal) + 1)..];
            var usbDevice = Path.Combine(SysfsRoot, "devices", "pci0000:00", controller, "usb" + bus, port);
            Directory.CreateDirectory(usbDevice);
            File.WriteAllText(Path.Combine(usbDevice, "idVendor"), id.UsbVendor + "\n");
            File.WriteAllText(Path.Combine(usbDevice, "idProduct"), (id.UsbProduct ?? "0000") + "\n");
            File.WriteAllText(Path.Combine(usbDevice, "devpath"), devpath + "\n");
            WriteOptional(usbDevice, "serial", id.UsbSerial);
            WriteOptional(usbDevice, "manufacturer", id.UsbManufacturer);
            WriteOptional(usbDevice, "product", id.UsbProductName);
            videoDir = Path.Combine(usbDevice, port + ":1.0", "video4linux", node);
            if (id.Sound is { } sound)
            {
                PlugSoundCard(port, sound, id.Controller);
                _soundOfNode[node] = sound.Card;
            }

            if (usbPort is not null)
            {
                busInfo = $"usb-{controller}-{devpath}";
            }
        }
        else if (id.Controller is not null)
        {
            videoDir = Path.Combine(SysfsRoot, "devices", "pci0000:00", controller, "video4linux", node);
        }
        else
        {
            videoDir = Path.Combine(SysfsRoot, "devices", "virtual", "video4linux", node);
        }

        Directory.CreateDirectory(videoDir);
        File.WriteAllText(Path.Combine(videoDir, "name"), parsed.Card + "\n");
        File.WriteAllText(Path.Combine(videoDir, "index"), id.Index.ToString(CultureInfo.InvariantCulture) + "\n");
        File.WriteAllText(Path.Combine(videoDir, "dev"), "81:" + NodeNumber(node) + "\n");
        var classLink = Path.Combine(SysfsRoot, "class", "video4linux", node);
        DeleteLink(classLink);
        File.CreateSymbolicLink(classLink, Path.GetRelativePath(Path.GetDirectoryName(classLink)!, videoDir));

        var byId = id.ById ?? (id.UsbVendor is null ? null : ById(id));
        var byPath = id.ByPath ?? (id.UsbVendor is null || port is null ? null : $"pci-{controller}-usb-0:{port[(port.IndexOf('-', StringComparison.Ordinal) + 1)..]}:1.0-video-index{id.Index}");
        if (byId is not null)
        {
            Link("by-id", byId, node);
        }

        if (byPath is not null)
        {
            Link("by-path", byPath, node);
        }

        var spec = new FakeNodeSpec(
            fixture, busInfo, (openErrors ?? []).Select(e => Fixture.ParseErrno(e, "openErrors")).ToList(),
            Interlocked.Increment(ref _plugCounter).ToString(CultureInfo.InvariantCulture));
        var nodePath = Path.Combine(DeviceRoot, node);
        var temp = Path.Combine(DeviceRoot, "." + node + ".plug");
        File.WriteAllText(temp, spec.Format());
        File.Move(temp, nodePath, overwrite: true);
        return nodePath;
    }

    /// <summary>Unplugs a camera: removes the node, its links and its sysfs entries.</summary>
    public void Unplug(string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        File.Delete(Path.Combine(DeviceRoot, node));
        foreach (var kind in new[] { "by-id", "by-path" })
        {
            var dir = Path.Combine(DeviceRoot, "v4l", kind);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var link in Directory.EnumerateFileSystemEntries(dir))
            {
                if (new FileInfo(link).LinkTarget is { } target && Path.GetFileName(target) == node)
                {
                    File.Delete(link);
                }
            }
        }

        var classLink = Path.Combine(SysfsRoot, "class", "video4linux", node);
        if (new FileInfo(classLink).ResolveLinkTarget(returnFinalTarget: true) is { } videoDir && Directory.Exists(videoDir.FullName))
        {
            Directory.Delete(videoDir.FullName, recursive: true);
        }

        DeleteLink(classLink);
        if (_soundOfNode.Remove(node, out var card))
        {
            UnplugSoundCard(card);
        }
    }

    /// <summary>
    /// Plugs a sound card into the USB device at <paramref name="usbPort"/> (as snd-usb-audio binds a webcam's audio
    /// interface <c>&lt;port&gt;:1.2</c>): <c>class/sound/cardM</c> with its <c>id</c>, a capture PCM <c>pcmCMDdc</c>, and
    /// <c>/proc/asound/cardM/{id,stream0}</c>. The USB device directory is created when the camera is not plugged yet.
    /// </summary>
    public void PlugSoundCard(string usbPort, FixtureSound sound, string? controller = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(usbPort);
        ArgumentNullException.ThrowIfNull(sound);
        var bus = usbPort.Split('-')[0];
        var usbDevice = Path.Combine(SysfsRoot, "devices", "pci0000:00", controller ?? DefaultController, "usb" + bus, usbPort);
        Directory.CreateDirectory(usbDevice);
        if (!File.Exists(Path.Combine(usbDevice, "idVendor")))
        {
            File.WriteAllText(Path.Combine(usbDevice, "idVendor"), "0000\n");
        }

        var card = "card" + sound.Card.ToString(CultureInfo.InvariantCulture);
        var pcm = $"pcmC{sound.Card.ToString(CultureInfo.InvariantCulture)}D{sound.Device.ToString(CultureInfo.InvariantCulture)}c";
        var cardDir = Path.Combine(usbDevice, usbPort + ":1.2", "sound", card);
        Directory.CreateDirectory(Path.Combine(cardDir, pcm));
        File.WriteAllText(Path.Combine(cardDir, "id"), sound.Id + "\n");
        File.WriteAllText(Path.Combine(cardDir, "number"), sound.Card.ToString(CultureInfo.InvariantCulture) + "\n");
        var soundClass = Path.Combine(SysfsRoot, "class", "sound");
        Directory.CreateDirectory(soundClass);
        foreach (var (name, target) in new[] { (pcm, Path.Combine(cardDir, pcm)), (card, cardDir) })
        {
            var link = Path.Combine(soundClass, name);
            DeleteLink(link);
            File.CreateSymbolicLink(link, Path.GetRelativePath(soundClass, target));
        }

        var asound = Path.Combine(ProcfsRoot, "asound", card);
        Directory.CreateDirectory(Path.Combine(asound, "pcm" + sound.Device.ToString(CultureInfo.InvariantCulture) + "c"));
        File.WriteAllText(Path.Combine(asound, "id"), sound.Id + "\n");
        File.WriteAllText(Path.Combine(asound, "stream0"), string.Join('\n',
            $"{sound.Id} at usb-{controller ?? DefaultController}-{usbPort[(usbPort.IndexOf('-', StringComparison.Ordinal) + 1)..]}, high speed : USB Audio",
            "",
            "Capture:",
            "  Status: Stop",
            "  Interface 3",
            "    Altset 1",
            "    Format: S16_LE",
            "    Channels: " + sound.Channels.ToString(CultureInfo.InvariantCulture),
            "    Endpoint: 0x86 (6 IN) (ASYNC)",
            "    Rates: " + sound.Rates,
            "    Data packet interval: 1000 us",
            "    Bits: 16",
            ""));
    }

    /// <summary>Unplugs sound card <paramref name="card"/>: its class links, its sysfs directory and its <c>/proc/asound</c> entry.</summary>
    public void UnplugSoundCard(int card)
    {
        var name = "card" + card.ToString(CultureInfo.InvariantCulture);
        var soundClass = Path.Combine(SysfsRoot, "class", "sound");
        var cardLink = Path.Combine(soundClass, name);
        if (new FileInfo(cardLink).ResolveLinkTarget(returnFinalTarget: true) is { } cardDir && Directory.Exists(cardDir.FullName))
        {
            Directory.Delete(cardDir.FullName, recursive: true);
        }

        if (Directory.Exists(soundClass))
        {
            foreach (var link in Directory.EnumerateFileSystemEntries(soundClass, $"pcmC{card.ToString(CultureInfo.InvariantCulture)}D*"))
            {
                DeleteLink(link);
            }
        }

        DeleteLink(cardLink);
        var asound = Path.Combine(ProcfsRoot, "asound", name);
        if (Directory.Exists(asound))
        {
            Directory.Delete(asound, recursive: true);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsRoot && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static string ById(FixtureIdentity id)
    {
        var model = $"{id.UsbManufacturer ?? id.UsbVendor}_{id.UsbProductName ?? id.UsbProduct}".Replace(' ', '_');
        return id.UsbSerial is null ? $"usb-{model}-video-index{id.Index}" : $"usb-{model}_{id.UsbSerial}-video-index{id.Index}";
    }

    private static string NodeNumber(string node) => new(node.Where(char.IsAsciiDigit).ToArray());

    private static void WriteOptional(string dir, string name, string? value)
    {
        if (value is not null)
        {
            File.WriteAllText(Path.Combine(dir, name), value + "\n");
        }
    }

    private static void DeleteLink(string path)
    {
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }
    }

    private void Link(string kind, string name, string node)
    {
        var dir = Path.Combine(DeviceRoot, "v4l", kind);
        Directory.CreateDirectory(dir);
        var link = Path.Combine(dir, name);
        DeleteLink(link); // like udev, the newest device wins a link name two devices share
        File.CreateSymbolicLink(link, Path.Combine("..", "..", node));
    }
}
