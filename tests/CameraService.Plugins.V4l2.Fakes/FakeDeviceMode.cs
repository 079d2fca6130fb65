using CameraService.Plugins.V4l2.Native;

namespace CameraService.Plugins.V4l2.Fakes;

/// <summary>
/// What the v4l2 plugin loads from this assembly when <c>Plugins:V4l2:FakeDevicesDirectory</c> is set
/// (<see cref="ISimulatedDeviceMode"/>): the ioctl responder over the fixture files.
/// </summary>
internal sealed class FakeDeviceMode : ISimulatedDeviceMode
{
    public IVideoSyscalls CreateSyscalls(string fixturesDirectory, IVideoSyscalls uevents) => new FakeVideoSyscalls(fixturesDirectory, uevents);
}
