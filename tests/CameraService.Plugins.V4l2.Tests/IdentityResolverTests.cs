using CameraService.Plugins.V4l2.Discovery;
using CameraService.Plugins.V4l2.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

public sealed class IdentityResolverTests
{
    [Fact]
    public void Resolve_UsbWithSerial_UsesVendorProductSerial()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        tree.Plug("video4", "c920-h264.txt");

        var identity = new IdentityResolver(tree.DeviceRoot, tree.SysfsRoot).Resolve("video4", null);

        Assert.Equal("usb-046d_082d_A1B2C3D4", identity.StableId);
        Assert.Equal("usb-Logitech_HD_Pro_Webcam_C920_A1B2C3D4-video-index0", identity.ById);
        Assert.Equal("pci-0000:00:14.0-usb-0:2:1.0-video-index0", identity.ByPath);
        Assert.Equal("HD Pro Webcam C920", identity.SysfsName);
    }

    [Fact]
    public void Resolve_SameCameraOnAnotherNode_SameId()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        tree.Plug("video0", "c920-h264.txt");
        var resolver = new IdentityResolver(tree.DeviceRoot, tree.SysfsRoot);
        var before = resolver.Resolve("video0", null).StableId;
        tree.Unplug("video0");
        tree.Plug("video7", "c920-h264.txt", usbPort: "1-9");

        Assert.Equal(before, resolver.Resolve("video7", null).StableId);
    }

    [Fact]
    public void Resolve_SecondNodeOfADevice_GetsIndexSuffix()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        tree.Plug("video1", "uvc-webcam-meta.txt");

        Assert.Equal("usb-046d_0825_2F8E3C10-index1", new IdentityResolver(tree.DeviceRoot, tree.SysfsRoot).Resolve("video1", null).StableId);
    }

    [Fact]
    public void Resolve_NoSysfsButByPathLink_UsesByPath()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        tree.Plug("video0", "usb2-pc-camera.txt");
        var emptySys = Directory.CreateTempSubdirectory("v4l2-nosys-");
        try
        {
            var identity = new IdentityResolver(tree.DeviceRoot, emptySys.FullName).Resolve("video0", "usb-0000:00:14.0-3");

            Assert.Equal("pci-0000_00_14.0-usb-0_3_1.0-video-index0", identity.StableId);
            Assert.False(identity.IsFallback);
        }
        finally
        {
            emptySys.Delete(recursive: true);
        }
    }

    [Fact]
    public void Resolve_NothingButBusInfo_UsesBusInfo()
    {
        var empty = Directory.CreateTempSubdirectory("v4l2-empty-");
        try
        {
            var resolver = new IdentityResolver(empty.FullName, empty.FullName);

            Assert.Equal("usb-0000_00_14.0-1.2", resolver.Resolve("video0", "usb-0000:00:14.0-1.2").StableId);
            Assert.Equal("bus-platform_bcm2835-v4l2-0", resolver.Resolve("video0", "platform:bcm2835-v4l2-0").StableId);
            var last = resolver.Resolve("video3", null);
            Assert.Equal("node-video3", last.StableId);
            Assert.True(last.IsFallback);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("usb-0000:00:14.0-1.2", "usb-0000_00_14.0-1.2")]
    [InlineData("a b/c", "a_b_c")]
    [InlineData("ok-id_1.2", "ok-id_1.2")]
    public void Sanitize_KeepsOnlyConfigurationSafeCharacters(string raw, string expected) =>
        Assert.Equal(expected, IdentityResolver.Sanitize(raw));
}
