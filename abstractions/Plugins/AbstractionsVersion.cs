namespace CameraService.Abstractions.Plugins;

/// <summary>
/// The version of this plugin SDK. A plugin's manifest names the version it was built against
/// (<c>"abstractions": "2.1"</c>); the host loads it when the major versions are equal and the
/// plugin's minor version is not newer than the host's.
/// </summary>
public static class AbstractionsVersion
{
    /// <summary>Major version: incremented on a breaking change of any contract.</summary>
    public const int Major = 2;

    /// <summary>Minor version: incremented when members or types are added compatibly.</summary>
    public const int Minor = 2;

    /// <summary>The version as <c>major.minor</c>.</summary>
    public static Version Current { get; } = new(Major, Minor);
}
