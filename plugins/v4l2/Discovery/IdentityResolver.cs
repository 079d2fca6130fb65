using System.Globalization;
using System.Text;

namespace CameraService.Plugins.V4l2.Discovery;

/// <summary>What the file system says about a node, without opening it.</summary>
/// <param name="StableId">The identity that survives replug and renumbering (see <see cref="IdentityResolver"/>).</param>
/// <param name="SysfsName">The card name from sysfs, when known.</param>
/// <param name="Index">The node's index among its device's nodes.</param>
/// <param name="ById">The <c>v4l/by-id</c> link name pointing at the node, when any.</param>
/// <param name="ByPath">The <c>v4l/by-path</c> link name pointing at the node, when any.</param>
/// <param name="IsFallback">True when the id had to come from the node name or bus info alone.</param>
internal sealed record NodeIdentity(string StableId, string? SysfsName, int Index, string? ById, string? ByPath, bool IsFallback);

/// <summary>
/// Derives stable camera ids from sysfs and the udev links, in this order:
/// USB with a serial → <c>usb-VID_PID_SERIAL</c>; USB without one → <c>usb-VID_PID-CONTROLLER-PORT</c> (so identical
/// cameras on different ports differ and a camera keeps its id on the same port); otherwise the by-path link, the
/// by-id link, the bus info from VIDIOC_QUERYCAP, and last the node name. A non-zero node index is appended.
/// Ids contain only letters, digits, '.', '_' and '-' so they can be configuration keys.
/// </summary>
internal sealed class IdentityResolver(string deviceRoot, string sysfsRoot)
{
    private readonly string _sysfsRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(sysfsRoot));

    public NodeIdentity Resolve(string node, string? busInfo)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        var byId = FindLink("by-id", node);
        var byPath = FindLink("by-path", node);
        string? sysfsName = null;
        var index = 0;
        string? vendor = null, product = null, serial = null, port = null, controller = null;
        var videoDir = ResolveDirectory(Path.Combine(_sysfsRoot, "class", "video4linux", node));
        if (videoDir is not null)
        {
            sysfsName = ReadAttribute(videoDir, "name");
            index = int.TryParse(ReadAttribute(videoDir, "index"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : 0;
            for (var dir = Directory.GetParent(videoDir); dir is not null && dir.FullName.Length > _sysfsRoot.Length; dir = dir.Parent)
            {
                if (vendor is null && File.Exists(Path.Combine(dir.FullName, "idVendor")))
                {
                    vendor = ReadAttribute(dir.FullName, "idVendor");
                    product = ReadAttribute(dir.FullName, "idProduct");
                    serial = ReadAttribute(dir.FullName, "serial");
                    port = dir.Name;
                }
                else if (vendor is not null && controller is null && IsPciAddress(dir.Name))
                {
                    controller = dir.Name;
                }
            }
        }

        var suffix = index > 0 ? "-index" + index.ToString(CultureInfo.InvariantCulture) : "";
        if (vendor is not null && !string.IsNullOrWhiteSpace(serial))
        {
            return new NodeIdentity(Sanitize($"usb-{vendor}_{product}_{serial}{suffix}"), sysfsName, index, byId, byPath, false);
        }

        if (vendor is not null && port is not null)
        {
            var where = controller is null ? port : $"{controller}-{port}";
            return new NodeIdentity(Sanitize($"usb-{vendor}_{product}-{where}{suffix}"), sysfsName, index, byId, byPath, false);
        }

        if (byPath is not null)
        {
            return new NodeIdentity(Sanitize(byPath), sysfsName, index, byId, byPath, false);
        }

        if (byId is not null)
        {
            return new NodeIdentity(Sanitize(byId), sysfsName, index, byId, byPath, false);
        }

        if (!string.IsNullOrWhiteSpace(busInfo))
        {
            var bus = busInfo.StartsWith("usb-", StringComparison.Ordinal) || busInfo.StartsWith("pci-", StringComparison.Ordinal)
                ? busInfo
                : "bus-" + busInfo;
            return new NodeIdentity(Sanitize(bus + suffix), sysfsName, index, byId, byPath, false);
        }

        return new NodeIdentity(Sanitize("node-" + node), sysfsName, index, byId, byPath, true);
    }

    /// <summary>Keeps letters, digits, '.', '_' and '-'; anything else (':' included, the configuration separator) becomes '_'.</summary>
    internal static string Sanitize(string id)
    {
        var builder = new StringBuilder(id.Length);
        foreach (var c in id)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }

        return builder.ToString();
    }

    private static bool IsPciAddress(string name) =>
        name.Length == 12 && name[4] == ':' && name[7] == ':' && name[10] == '.';

    internal static string? ResolveDirectory(string path)
    {
        try
        {
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                return target is not null && Directory.Exists(target.FullName) ? Path.GetFullPath(target.FullName) : null;
            }

            return info.Exists ? info.FullName : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static string? ReadAttribute(string dir, string name)
    {
        try
        {
            var path = Path.Combine(dir, name);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string? FindLink(string kind, string node)
    {
        var dir = Path.Combine(deviceRoot, "v4l", kind);
        try
        {
            if (!Directory.Exists(dir))
            {
                return null;
            }

            string? found = null;
            foreach (var link in Directory.EnumerateFileSystemEntries(dir))
            {
                var target = new FileInfo(link).LinkTarget;
                if (target is not null && Path.GetFileName(target) == node
                    && (found is null || string.CompareOrdinal(Path.GetFileName(link), found) < 0))
                {
                    found = Path.GetFileName(link);
                }
            }

            return found;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
