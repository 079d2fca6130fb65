namespace CameraService.EndToEnd.Tests;

/// <summary>A fact that needs root (e.g. to mount a tmpfs); skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!IsRoot)
        {
            Skip = "needs root on Linux to mount a small tmpfs as the media root (run the suite as root, e.g. in CI)";
        }
    }

    public static bool IsRoot =>
        OperatingSystem.IsLinux()
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } line
        && line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries) is [_, _, var effective, ..]
        && effective == "0";
}
