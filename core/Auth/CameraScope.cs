using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace CameraService.Core.Auth;

/// <summary>
/// The cameras a credential may see and use (api-contract §8.5): every camera, or a fixed set of <c>camera&lt;N&gt;</c>
/// ids from the JWT's <c>cameras</c> claim, the API key's attribute or a trusted principal. A scoped caller sees only
/// those cameras in lists, notifications, files and streams; anything about another camera is answered as if that
/// camera did not exist (-32002 <c>camera_not_allowed</c>).
/// </summary>
internal sealed partial class CameraScope
{
    /// <summary>Every camera.</summary>
    public static readonly CameraScope All = new(null);

    private readonly FrozenSet<string>? _cameras;

    private CameraScope(FrozenSet<string>? cameras) => _cameras = cameras;

    /// <summary>Whether this scope is limited to a set of cameras.</summary>
    public bool IsLimited => _cameras is not null;

    /// <summary>The allowed cameras, sorted; null when unlimited.</summary>
    public IReadOnlyList<string>? Cameras => _cameras?.Order(StringComparer.Ordinal).ToList();

    /// <summary>A scope of exactly these cameras; null gives <see cref="All"/>.</summary>
    public static CameraScope Of(IEnumerable<string>? cameras) =>
        cameras is null ? All : new CameraScope(cameras.ToFrozenSet(StringComparer.Ordinal));

    /// <summary>Whether a camera id is a valid scope entry (<c>camera&lt;N&gt;</c>).</summary>
    public static bool IsValidId(string? id) => id is not null && CameraId().IsMatch(id);

    /// <summary>Parses a comma-separated list (<c>camera0,camera2</c>); false with a message when an entry is not a camera id.</summary>
    public static bool TryParseList(string? text, out IReadOnlyList<string>? cameras, out string? error)
    {
        cameras = null;
        error = null;
        if (text is null)
        {
            return true;
        }

        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var bad = items.FirstOrDefault(i => !IsValidId(i));
        if (items.Length == 0 || bad is not null)
        {
            error = $"--cameras must be a comma-separated list of camera ids such as camera0,camera2 (got '{bad ?? text}').";
            return false;
        }

        cameras = [.. items.Distinct(StringComparer.Ordinal)];
        return true;
    }

    /// <summary>Whether the camera with this id may be seen and used.</summary>
    public bool Allows(string? cameraId) => _cameras is null || (cameraId is not null && _cameras.Contains(cameraId));

    /// <summary>Whether a media file name (<c>camera0_…</c>, the storage naming rule) belongs to an allowed camera.</summary>
    public bool AllowsFile(string? fileName)
    {
        if (_cameras is null)
        {
            return true;
        }

        if (fileName is null)
        {
            return false;
        }

        var underscore = fileName.IndexOf('_', StringComparison.Ordinal);
        return underscore > 0 && _cameras.Contains(fileName[..underscore]);
    }

    /// <summary>The narrower of two scopes (a trusted session and its own limits).</summary>
    public CameraScope Intersect(CameraScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_cameras is null)
        {
            return other;
        }

        return other._cameras is null ? this : new CameraScope(_cameras.Where(other._cameras.Contains).ToFrozenSet(StringComparer.Ordinal));
    }

    [GeneratedRegex("^camera[0-9]{1,6}$", RegexOptions.CultureInvariant)]
    private static partial Regex CameraId();
}
