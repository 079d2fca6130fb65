namespace CameraService.Deploy.Tests;

/// <summary>A fact that needs root (dpkg --root runs the maintainer scripts, which create users); skipped with that reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root")
        {
            Skip = "dpkg --root with the maintainer scripts needs root (CI runs as root)";
        }
    }
}
