using System.Text;

namespace CameraService.Plugins.V4l2.HotPlug;

/// <summary>A kernel uevent: <c>ACTION@DEVPATH</c> followed by NUL-separated <c>KEY=value</c> properties.</summary>
internal sealed record Uevent(string Action, string DevPath, string? Subsystem, string? DevName, IReadOnlyDictionary<string, string> Properties)
{
    private static readonly byte[] LibudevMagic = "libudev\0"u8.ToArray();

    /// <summary>The node name (<c>video0</c>) of a video4linux event, or null for any other subsystem.</summary>
    public string? VideoNode => Subsystem == "video4linux"
        ? Path.GetFileName(DevName ?? DevPath) is { Length: > 0 } name ? name : null
        : null;

    /// <summary>Whether this is an event of a sound card (<c>SUBSYSTEM=sound</c>, <c>…/sound/cardM</c>), not of one of its PCMs or controls.</summary>
    public bool IsSoundCard => Subsystem == "sound" && Path.GetFileName(DevPath) is { } name
        && name.Length > 4 && name.StartsWith("card", StringComparison.Ordinal) && name[4..].All(char.IsAsciiDigit);

    /// <summary>
    /// Parses one datagram of the kernel's uevent group. Messages re-broadcast by udev (they begin with
    /// <c>libudev\0</c>) and malformed ones yield null. The sender is not authenticated: an event only makes the
    /// plugin look at the file system again, so a forged one can do no more than cause a rescan.
    /// </summary>
    public static Uevent? Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length == 0 || datagram.StartsWith(LibudevMagic))
        {
            return null;
        }

        var first = datagram.IndexOf((byte)0);
        var header = Encoding.UTF8.GetString(first < 0 ? datagram : datagram[..first]);
        var at = header.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == header.Length - 1)
        {
            return null;
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = first < 0 ? [] : datagram[(first + 1)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            var field = end < 0 ? rest : rest[..end];
            var eq = field.IndexOf((byte)'=');
            if (eq > 0)
            {
                properties[Encoding.UTF8.GetString(field[..eq])] = Encoding.UTF8.GetString(field[(eq + 1)..]);
            }

            rest = end < 0 ? [] : rest[(end + 1)..];
        }

        var action = properties.TryGetValue("ACTION", out var a) ? a : header[..at];
        var devPath = properties.TryGetValue("DEVPATH", out var d) ? d : header[(at + 1)..];
        return new Uevent(
            action, devPath, properties.GetValueOrDefault("SUBSYSTEM"), properties.GetValueOrDefault("DEVNAME"), properties);
    }
}
