using System.Reflection;
using System.Runtime.Loader;

namespace CameraService.Plugins.V4l2.Native;

/// <summary>
/// The seam of the fake-device mode (<c>Plugins:V4l2:FakeDevicesDirectory</c>, a test and demo aid): the ioctls are
/// answered from fixture files instead of the kernel. The responder lives in a separate assembly,
/// <c>CameraService.Plugins.V4l2.Fakes</c> (tests/CameraService.Plugins.V4l2.Fakes), which implements this interface.
/// Development builds put it next to the plugin; release packages never contain it.
/// </summary>
internal interface ISimulatedDeviceMode
{
    /// <summary>The ioctl responder over the fixture files in <paramref name="fixturesDirectory"/>.</summary>
    /// <param name="fixturesDirectory">The fixture files (full path).</param>
    /// <param name="uevents">The real system calls, for the netlink uevent socket.</param>
    IVideoSyscalls CreateSyscalls(string fixturesDirectory, IVideoSyscalls uevents);
}

/// <summary>Finds and loads the fake-device assembly from the plugin's own folder, into the plugin's load context.</summary>
internal static class SimulatedDeviceMode
{
    /// <summary>The assembly that implements <see cref="ISimulatedDeviceMode"/>.</summary>
    public const string AssemblyName = "CameraService.Plugins.V4l2.Fakes";

    /// <summary>Where the assembly must be: beside the plugin's own assembly.</summary>
    public static string AssemblyPath =>
        Path.Combine(Path.GetDirectoryName(typeof(SimulatedDeviceMode).Assembly.Location) ?? AppContext.BaseDirectory, AssemblyName + ".dll");

    /// <summary>Whether the fake-device mode can run here.</summary>
    public static bool IsInstalled => Loaded() is not null || File.Exists(AssemblyPath);

    /// <summary>The fake ioctl responder; only called after the options validator saw <see cref="IsInstalled"/>.</summary>
    public static IVideoSyscalls CreateSyscalls(string fixturesDirectory, IVideoSyscalls uevents)
    {
        var assembly = Loaded() ?? Context.LoadFromAssemblyPath(AssemblyPath);
        var type = assembly.GetTypes().SingleOrDefault(t => !t.IsAbstract && typeof(ISimulatedDeviceMode).IsAssignableFrom(t))
            ?? throw new InvalidOperationException($"{AssemblyPath} has no {nameof(ISimulatedDeviceMode)} implementation; rebuild it from the same source as the plugin.");
        var mode = (ISimulatedDeviceMode)Activator.CreateInstance(type, nonPublic: true)!;
        return mode.CreateSyscalls(fixturesDirectory, uevents);
    }

    /// <summary>The plugin's load context (the host gives each plugin its own); the fakes must share its types.</summary>
    private static AssemblyLoadContext Context => AssemblyLoadContext.GetLoadContext(typeof(SimulatedDeviceMode).Assembly) ?? AssemblyLoadContext.Default;

    private static Assembly? Loaded() =>
        Context.Assemblies.FirstOrDefault(a => string.Equals(a.GetName().Name, AssemblyName, StringComparison.Ordinal));
}
