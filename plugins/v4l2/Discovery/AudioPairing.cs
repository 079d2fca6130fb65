using System.Globalization;
using System.Text.RegularExpressions;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.V4l2.Discovery;

/// <summary>
/// Pairs a USB camera with the ALSA capture device of the same USB device (UVC webcams carry a USB Audio interface
/// for their microphone): the video node's USB device (<c>class/video4linux/&lt;node&gt;</c> → its ancestor with an
/// <c>idVendor</c>) is compared with each sound card's (<c>class/sound/cardM</c> → its ancestor with an <c>idVendor</c>);
/// the first such card with a capture PCM (<c>pcmCMDdc</c>) becomes <c>hw:CARD=&lt;id&gt;,DEV=&lt;d&gt;</c>. Sample rate
/// and channels come from the USB audio driver's <c>/proc/asound/cardM/stream0</c> when it is there; otherwise 0
/// (ffmpeg then uses the device's defaults). Only file-system reads: cheap enough for every reconcile.
/// </summary>
internal sealed partial class AudioPairing(string sysfsRoot, string procfsRoot)
{
    private const int PreferredRate = 48000;
    private readonly string _sysfsRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sysfsRoot));

    /// <summary>The audio input paired with <paramref name="node"/> (<c>video0</c>), or null when its USB device has no capture PCM.</summary>
    public AudioInput? Find(string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        var usb = UsbDeviceOf(Path.Combine(_sysfsRoot, "class", "video4linux", node));
        var soundClass = Path.Combine(_sysfsRoot, "class", "sound");
        if (usb is null || !Directory.Exists(soundClass))
        {
            return null;
        }

        var cards = SafeEnumerate(soundClass)
            .Select(e => (Entry: e, Match: CardName().Match(Path.GetFileName(e))))
            .Where(c => c.Match.Success)
            .Select(c => (c.Entry, Number: int.Parse(c.Match.Groups[1].Value, CultureInfo.InvariantCulture)))
            .OrderBy(c => c.Number);
        foreach (var (entry, number) in cards)
        {
            var cardDir = IdentityResolver.ResolveDirectory(entry);
            if (cardDir is null || !string.Equals(UsbDeviceOf(cardDir), usb, StringComparison.Ordinal)
                || CapturePcm(cardDir, number) is not { } device)
            {
                continue;
            }

            var asound = Path.Combine(procfsRoot, "asound", "card" + number.ToString(CultureInfo.InvariantCulture));
            var id = IdentityResolver.ReadAttribute(cardDir, "id") ?? IdentityResolver.ReadAttribute(asound, "id");
            var (rate, channels) = ParseStream(ReadText(Path.Combine(asound, "stream0")));
            var card = string.IsNullOrEmpty(id) ? number.ToString(CultureInfo.InvariantCulture) : id;
            return new AudioInput
            {
                Device = "hw:CARD=" + card + ",DEV=" + device.ToString(CultureInfo.InvariantCulture),
                SampleRate = rate,
                Channels = channels,
            };
        }

        return null;
    }

    /// <summary>
    /// The capture rate and channels of a USB audio <c>stream0</c> file: the first capture alternate setting that names
    /// both; 48 kHz when it offers it (listed or inside a continuous range), else its highest rate. (0, 0) when unknown.
    /// </summary>
    internal static (int Rate, int Channels) ParseStream(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return (0, 0);
        }

        var inCapture = false;
        int channels = 0, rate = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                if (inCapture && rate > 0 && channels > 0)
                {
                    break;
                }

                inCapture = line.StartsWith("Capture:", StringComparison.Ordinal);
                continue;
            }

            if (!inCapture)
            {
                continue;
            }

            var trimmed = line.Trim();
            if (trimmed.StartsWith("Altset", StringComparison.Ordinal))
            {
                if (rate > 0 && channels > 0)
                {
                    break;
                }

                (rate, channels) = (0, 0);
            }
            else if (trimmed.StartsWith("Channels:", StringComparison.Ordinal)
                && int.TryParse(trimmed["Channels:".Length..].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c))
            {
                channels = c;
            }
            else if (trimmed.StartsWith("Rates:", StringComparison.Ordinal))
            {
                rate = ChooseRate(trimmed["Rates:".Length..]);
            }
        }

        return rate > 0 && channels > 0 ? (rate, channels) : (0, 0);
    }

    private static int ChooseRate(string rates)
    {
        // "16000", "8000, 16000, 48000" or "8000 - 48000 (continuous)".
        if (ContinuousRates().Match(rates) is { Success: true } range)
        {
            var min = int.Parse(range.Groups[1].Value, CultureInfo.InvariantCulture);
            var max = int.Parse(range.Groups[2].Value, CultureInfo.InvariantCulture);
            return PreferredRate >= min && PreferredRate <= max ? PreferredRate : max;
        }

        var listed = rates.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(r => int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0)
            .Where(v => v > 0)
            .ToList();
        return listed.Contains(PreferredRate) ? PreferredRate : listed.DefaultIfEmpty(0).Max();
    }

    /// <summary>The lowest device number of a capture PCM of card <paramref name="number"/> (<c>pcmC1D0c</c> → 0), or null.</summary>
    private int? CapturePcm(string cardDir, int number)
    {
        var prefix = "pcmC" + number.ToString(CultureInfo.InvariantCulture) + "D";
        return SafeEnumerate(cardDir)
            .Concat(SafeEnumerate(Path.Combine(_sysfsRoot, "class", "sound")))
            .Select(Path.GetFileName)
            .Where(n => n is not null && n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith('c'))
            .Select(n => int.TryParse(n![prefix.Length..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : (int?)null)
            .Where(d => d is not null)
            .Min();
    }

    /// <summary>The USB device (the first ancestor with an <c>idVendor</c>) of a sysfs device, or null when it is no USB device.</summary>
    private string? UsbDeviceOf(string sysfsPath)
    {
        var dir = IdentityResolver.ResolveDirectory(sysfsPath);
        for (var d = dir is null ? null : Directory.GetParent(dir); d is not null && d.FullName.Length > _sysfsRoot.Length; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "idVendor")))
            {
                return d.FullName;
            }
        }

        return null;
    }

    private static List<string> SafeEnumerate(string dir)
    {
        try
        {
            return Directory.Exists(dir) ? Directory.EnumerateFileSystemEntries(dir).ToList() : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"^card(\d+)$")]
    private static partial Regex CardName();

    [GeneratedRegex(@"(\d+)\s*-\s*(\d+)")]
    private static partial Regex ContinuousRates();
}
