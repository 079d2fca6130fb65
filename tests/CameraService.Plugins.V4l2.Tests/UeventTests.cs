using System.Text;
using CameraService.Plugins.V4l2.HotPlug;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class UeventTests
{
    [Fact]
    public void Parse_KernelVideo4linuxAdd_ReturnsActionAndNode()
    {
        var uevent = Uevent.Parse(Encoding.ASCII.GetBytes(
            "add@/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/video4linux/video2\0ACTION=add\0" +
            "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/video4linux/video2\0SUBSYSTEM=video4linux\0" +
            "MAJOR=81\0MINOR=2\0DEVNAME=video2\0SEQNUM=3120\0"));

        Assert.NotNull(uevent);
        Assert.Equal("add", uevent.Action);
        Assert.Equal("video4linux", uevent.Subsystem);
        Assert.Equal("video2", uevent.VideoNode);
        Assert.Equal("3120", uevent.Properties["SEQNUM"]);
    }

    [Fact]
    public void Parse_RemoveWithoutDevname_TakesNodeFromDevpath()
    {
        var uevent = Uevent.Parse(Encoding.ASCII.GetBytes("remove@/devices/platform/x/video4linux/video11\0ACTION=remove\0SUBSYSTEM=video4linux\0"));

        Assert.Equal("remove", uevent!.Action);
        Assert.Equal("video11", uevent.VideoNode);
    }

    [Fact]
    public void Parse_OtherSubsystem_HasNoVideoNode()
    {
        var uevent = Uevent.Parse(Encoding.ASCII.GetBytes("change@/devices/virtual/mem/null\0ACTION=change\0SUBSYSTEM=mem\0DEVNAME=null\0"));

        Assert.Equal("mem", uevent!.Subsystem);
        Assert.Null(uevent.VideoNode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage-without-at")]
    [InlineData("@")]
    [InlineData("add@")]
    public void Parse_Malformed_ReturnsNull(string text) => Assert.Null(Uevent.Parse(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Parse_UdevRebroadcast_IsIgnored() =>
        Assert.Null(Uevent.Parse([.. "libudev\0"u8, 0xfe, 0xed, 0xca, 0xfe, .. "add@/x/video4linux/video0\0SUBSYSTEM=video4linux\0"u8]));

    [Fact]
    public void Parse_TruncatedProperty_KeepsTheRest()
    {
        var uevent = Uevent.Parse(Encoding.ASCII.GetBytes("add@/a/video4linux/video1\0SUBSYSTEM=video4linux\0BROKEN\0DEVNAME=video1"));

        Assert.Equal("video1", uevent!.VideoNode);
        Assert.False(uevent.Properties.ContainsKey("BROKEN"));
    }
}
