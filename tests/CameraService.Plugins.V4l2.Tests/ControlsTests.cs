using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Controls;
using CameraService.Plugins.V4l2.Fakes;
using CameraService.Plugins.V4l2.Native;
using CameraService.Plugins.V4l2.Tests.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>Camera controls of the V4L2 source through the fake syscall layer, with real cameras' fixtures.</summary>
public sealed class ControlsTests
{
    private const string C920 = "usb-046d_082d_A1B2C3D4";

    private static readonly uint BrightnessId = ControlNames.Brightness;
    private static readonly uint ContrastId = ControlNames.Contrast;

    private static async Task<(SourceHarness Harness, string Path, string StableId)> StartWithAsync(string fixture)
    {
        var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        var path = h.Tree.Plug("video0", fixture);
        await h.StartAsync();
        return (h, path, Assert.Single(h.Source.GetCameras()).StableId);
    }

    [Fact]
    public void Fixture_MenuLines_AreParsedAsMenuEntries()
    {
        var c920 = Fixture.Load(Path.Combine(FakeDeviceTree.BundledFixturesDirectory, "c920-h264.txt"));
        var exposure = c920.Controls.Single(c => c.Id == ControlNames.AutoExposure);
        Assert.Equal([(1u, "Manual Mode"), (3u, "Aperture Priority Mode")], exposure.Menu.Select(m => (m.Index, m.Label)));

        var pi = Fixture.Load(Path.Combine(FakeDeviceTree.BundledFixturesDirectory, "pi-camera-v2.txt"));
        var iso = pi.Controls.Single(c => c.Id == ControlNames.IsoSensitivity);
        Assert.Equal([0L, 100000, 200000, 400000, 800000], iso.Menu.Select(m => m.Value));
        Assert.Equal([0u, 8, 11], pi.Controls.Single(c => c.Id == ControlNames.IdOf("scene_mode")).Menu.Select(m => m.Index));
    }

    [Fact]
    public async Task GetControls_UvcWebcam_StableNamesTypesMenusAndFlags()
    {
        var (h, _, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;

        var controls = await h.Source.GetControlsAsync(id, CancellationToken.None);

        Assert.Equal(
            ["brightness", "contrast", "saturation", "white_balance_automatic", "gain", "power_line_frequency", "white_balance_temperature",
             "sharpness", "backlight_compensation", "auto_exposure", "exposure_time_absolute", "exposure_dynamic_framerate",
             "pan_absolute", "tilt_absolute", "focus_absolute", "focus_automatic_continuous", "zoom_absolute"],
            controls.Select(c => c.Name));
        var power = controls.Single(c => c.Name == "power_line_frequency");
        Assert.Equal(CameraControlType.Menu, power.Type);
        Assert.Equal(1, power.Value);
        Assert.Equal(["Disabled", "50 Hz", "60 Hz"], power.Menu.Select(m => m.Label));
        var focus = controls.Single(c => c.Name == "focus_absolute");
        Assert.True(focus.Inactive);
        Assert.Equal(5, focus.Step);
        Assert.Equal("Focus Absolute", focus.Label);
        Assert.True(controls.Single(c => c.Name == "focus_automatic_continuous").AutoMode);
        Assert.Equal(CameraControlType.Boolean, controls.Single(c => c.Name == "white_balance_automatic").Type);
    }

    [Fact]
    public async Task GetControls_PtzCamera_AbsoluteAndRelativeControls()
    {
        var (h, _, id) = await StartWithAsync("ptz-pro2.txt");
        await using var _h = h;

        var controls = await h.Source.GetControlsAsync(id, CancellationToken.None);

        var pan = controls.Single(c => c.Name == "pan_absolute");
        Assert.Equal((-612000L, 612000L, 3600L, 0L), (pan.Minimum, pan.Maximum, pan.Step, pan.Value!.Value));
        Assert.Equal(100, controls.Single(c => c.Name == "zoom_absolute").Value);
        foreach (var name in new[] { "pan_speed", "tilt_speed", "zoom_continuous" })
        {
            var relative = controls.Single(c => c.Name == name);
            Assert.True(relative.Relative, name);
            Assert.Null(relative.Value);
        }
    }

    [Fact]
    public async Task GetControls_CameraWithoutControls_IsEmpty()
    {
        var (h, _, id) = await StartWithAsync("cam-link-4k.txt");
        await using var _h = h;

        Assert.Empty(await h.Source.GetControlsAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task SetControls_OneBadValueInThree_NothingChanged()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;
        var device = h.Syscalls.ControlsOf(path);

        var error = await Assert.ThrowsAsync<InvalidParameterException>(() => h.Source.SetControlsAsync(
            id, new Dictionary<string, long> { ["brightness"] = 140, ["contrast"] = 999, ["saturation"] = 100 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None));

        Assert.Equal("controls.contrast", error.Param);
        Assert.StartsWith("out_of_range", error.Rule, StringComparison.Ordinal);
        Assert.Equal(128, device.ValueOf(BrightnessId));
        Assert.Equal(128, device.ValueOf(ContrastId));
        Assert.Equal(0, device.Writes);
    }

    [Theory]
    [InlineData("exposure_time_absolute", 300, "inactive")]
    [InlineData("auto_exposure", 2, "not_in_menu:1|3")]
    [InlineData("white_balance_temperature", 4010, "inactive")]
    [InlineData("zoom_absolute", 501, "out_of_range:100..500")]
    [InlineData("pan_absolute", 1000, "off_step:3600")]
    [InlineData("no_such_control", 1, "unknown_control")]
    public async Task SetControls_InvalidValue_RefusedNamingTheControl(string name, long value, string rule)
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;

        var error = await Assert.ThrowsAsync<InvalidParameterException>(() => h.Source.SetControlsAsync(
            id, new Dictionary<string, long> { [name] = value }, CameraControlApplyMode.AllOrNothing, CancellationToken.None));

        Assert.Equal("controls." + name, error.Param);
        Assert.Equal(rule, error.Rule);
        Assert.Equal(0, h.Syscalls.ControlsOf(path).Writes);
    }

    [Fact]
    public async Task SetControls_ManualValueWithItsAutoMode_AppliesAutoModeFirst()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;

        // The manual value is listed first: the source must still write the automatic mode before it.
        var result = await h.Source.SetControlsAsync(
            id, new Dictionary<string, long> { ["exposure_time_absolute"] = 300, ["auto_exposure"] = 1 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None);

        Assert.Equal(300, result.Applied["exposure_time_absolute"]);
        Assert.Equal(1, result.Applied["auto_exposure"]);
        Assert.Equal(300, h.Syscalls.ControlsOf(path).ValueOf(ControlNames.ExposureTimeAbsolute));
        Assert.False(result.Controls.Single(c => c.Name == "exposure_time_absolute").Inactive);
    }

    [Fact]
    public async Task SetControls_GrabbedControl_InvalidStateAndNothingWritten()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;
        var device = h.Syscalls.ControlsOf(path);
        device.SetGrabbed(ContrastId, true);

        var error = await Assert.ThrowsAsync<InvalidStateException>(() => h.Source.SetControlsAsync(
            id, new Dictionary<string, long> { ["brightness"] = 140, ["contrast"] = 100 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None));

        Assert.Equal("control_busy", error.Reason);
        Assert.Contains("controls.contrast", error.Message, StringComparison.Ordinal);
        Assert.Equal(128, device.ValueOf(BrightnessId));
        Assert.True((await h.Source.GetControlsAsync(id, CancellationToken.None)).Single(c => c.Name == "contrast").Grabbed);
    }

    [Fact]
    public async Task SetControls_HardwareFailsPartWay_EarlierValuesRolledBack()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;
        var device = h.Syscalls.ControlsOf(path);
        device.FailWrites(ContrastId, Errno.EIO);

        var error = await Assert.ThrowsAsync<DependencyFailedException>(() => h.Source.SetControlsAsync(
            id, new Dictionary<string, long> { ["brightness"] = 140, ["contrast"] = 100 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None));

        Assert.Equal("device", error.Dependency);
        Assert.Equal(128, device.ValueOf(BrightnessId));
        Assert.Equal(128, device.ValueOf(ContrastId));
    }

    [Fact]
    public async Task ChangeByAnotherProgram_IsNotified()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;
        var changes = new System.Collections.Concurrent.ConcurrentQueue<CameraControlsChangedEventArgs>();
        h.Source.ControlsChanged += (_, e) => changes.Enqueue(e);

        Assert.True(h.Syscalls.SetFromOtherProcess(path, (BrightnessId, 200)).Ok);

        var seen = await WaitAsync(() => changes.FirstOrDefault(c => c.Values.ContainsKey("brightness")));
        Assert.Equal(C920, seen.StableId);
        Assert.Equal(200, seen.Values["brightness"]);
    }

    [Fact]
    public async Task OwnChange_IsNotEchoedAsAChangeBehindOurBack()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;
        var changes = new System.Collections.Concurrent.ConcurrentQueue<CameraControlsChangedEventArgs>();
        h.Source.ControlsChanged += (_, e) => changes.Enqueue(e);

        await h.Source.SetControlsAsync(id, new Dictionary<string, long> { ["brightness"] = 150 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None);
        Assert.True(h.Syscalls.SetFromOtherProcess(path, (ContrastId, 90)).Ok);

        // The other program's change arrives; ours, made before it, never does.
        await WaitAsync(() => changes.FirstOrDefault(c => c.Values.ContainsKey("contrast")));
        Assert.DoesNotContain(changes, c => c.Values.ContainsKey("brightness"));
    }

    [Fact]
    public async Task Reset_RestoresDefaultsAutoModesFirst()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;
        await h.Source.SetControlsAsync(
            id, new Dictionary<string, long> { ["brightness"] = 140, ["auto_exposure"] = 1, ["exposure_time_absolute"] = 300 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None);

        var result = await h.Source.ResetControlsAsync(id, CancellationToken.None);

        var device = h.Syscalls.ControlsOf(path);
        Assert.Equal(128, device.ValueOf(BrightnessId));
        Assert.Equal(3, device.ValueOf(ControlNames.AutoExposure));

        // The fixture's power line frequency differs from its default (50 Hz vs 60 Hz): reset moves it too.
        Assert.Equal(2, device.ValueOf(ControlNames.IdOf("power_line_frequency")));
        Assert.Equal(2, result.Applied["power_line_frequency"]);

        // exposure_time_absolute became inactive once auto exposure was back on: left alone, reported.
        Assert.Equal("inactive", result.Skipped["exposure_time_absolute"]);
    }

    [Fact]
    public async Task Restore_SkipsWhatIsInactiveAndAppliesTheRest()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;

        var result = await h.Source.SetControlsAsync(
            id, new Dictionary<string, long> { ["focus_absolute"] = 50, ["brightness"] = 90, ["gone_control"] = 1 }, CameraControlApplyMode.Restore, CancellationToken.None);

        Assert.Equal(90, result.Applied["brightness"]);
        Assert.Equal("inactive", result.Skipped["focus_absolute"]);
        Assert.Equal("unknown_control", result.Skipped["gone_control"]);
        Assert.Equal(90, h.Syscalls.ControlsOf(path).ValueOf(BrightnessId));
    }

    [Fact]
    public async Task Replug_DeviceStartsFromItsOwnValues()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;
        await h.Source.SetControlsAsync(id, new Dictionary<string, long> { ["brightness"] = 140 }, CameraControlApplyMode.AllOrNothing, CancellationToken.None);

        h.Tree.Unplug("video0");
        await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Removed, "removed");
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => h.Source.GetControlsAsync(id, CancellationToken.None));
        h.Tree.Plug("video0", "c920-h264.txt");
        await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added && h.Events.Count(x => x.Kind == CameraChangeKind.Added) == 2, "re-added");

        // A replugged camera forgets its values (the core re-applies persisted ones).
        Assert.Equal(128, (await h.Source.GetControlsAsync(id, CancellationToken.None)).Single(c => c.Name == "brightness").Value);
    }

    [Fact]
    public async Task SelectCaptureInput_OfferedMode_FfmpegArguments_OtherwiseInvalid()
    {
        var (h, path, id) = await StartWithAsync("c920-h264.txt");
        await using var _h = h;

        var input = h.Source.SelectCaptureInput(id, new CameraCaptureMode { Format = "YUYV", Width = 640, Height = 480, FrameRate = 15 });

        var device = Assert.IsType<DeviceCaptureInput>(input);
        Assert.Equal((path, "YUYV", 640, 480, 15.0), (device.DevicePath, device.Video.PixelFormat, device.Video.Width, device.Video.Height, device.Video.FrameRate));
        Assert.Throws<InvalidParameterException>(() => h.Source.SelectCaptureInput(id, new CameraCaptureMode { Format = "YUYV", Width = 1920, Height = 1080, FrameRate = 30 }));
    }

    [Fact]
    public unsafe void FakeDriver_ErrorPaths_FollowTheKernel()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        var path = tree.Plug("video0", "c920-h264.txt");
        var syscalls = new FakeVideoSyscalls(tree.FixturesDirectory);
        Assert.True(syscalls.Open(path, out var fd).Ok);
        var device = new ControlDevice(syscalls);
        var controls = device.Enumerate(fd, out _);
        V4l2Control Named(string n) => controls.Single(c => c.Name == n);
        var unknown = Named("brightness") with { Id = 0x00980999 };

        // EINVAL: an unknown id; TRY names it, S answers count (nothing written).
        var tried = device.Write(fd, [(Named("brightness"), 10), (unknown, 1)], apply: false);
        Assert.Equal((Errno.EINVAL, 1u), (tried.Result.Errno, tried.ErrorIndex));
        var set = device.Write(fd, [(Named("brightness"), 10), (unknown, 1)], apply: true);
        Assert.Equal((Errno.EINVAL, 2u), (set.Result.Errno, set.ErrorIndex));
        Assert.True(set.NothingWritten);

        // ERANGE: a menu index beyond the maximum; EINVAL: a skipped menu index.
        Assert.Equal(Errno.ERANGE, device.Write(fd, [(Named("auto_exposure"), 7)], apply: false).Result.Errno);
        Assert.Equal(Errno.EINVAL, device.Write(fd, [(Named("auto_exposure"), 2)], apply: false).Result.Errno);

        // EACCES: a manual control while its automatic mode is on, unless the same request switches the mode.
        Assert.Equal(Errno.EACCES, device.Write(fd, [(Named("exposure_time_absolute"), 300)], apply: false).Result.Errno);
        Assert.True(device.Write(fd, [(Named("auto_exposure"), 1), (Named("exposure_time_absolute"), 300)], apply: false).Ok);

        // EBUSY: a grabbed control.
        syscalls.ControlsOf(path).SetGrabbed(ContrastId, true);
        Assert.Equal(Errno.EBUSY, device.Write(fd, [(Named("contrast"), 1)], apply: true).Result.Errno);

        // Integers are clamped and rounded by the driver (which is why the service checks ranges itself).
        Assert.True(device.Write(fd, [(Named("focus_automatic_continuous"), 0), (Named("focus_absolute"), 999)], apply: true).Ok);
        Assert.Equal(250, syscalls.ControlsOf(path).ValueOf(ControlNames.FocusAbsolute));

        // QUERYMENU: EINVAL for a gap and for a non-menu control.
        var menu = new v4l2_querymenu { id = ControlNames.AutoExposure, index = 2 };
        Assert.Equal(Errno.EINVAL, syscalls.Ioctl(fd, Vdev.VIDIOC_QUERYMENU, ref menu).Errno);
        menu = new v4l2_querymenu { id = BrightnessId, index = 0 };
        Assert.Equal(Errno.EINVAL, syscalls.Ioctl(fd, Vdev.VIDIOC_QUERYMENU, ref menu).Errno);

        // DQEVENT with nothing pending: ENOENT; SUBSCRIBE to an unknown control: EINVAL.
        var e = default(v4l2_event);
        Assert.Equal(Errno.ENOENT, syscalls.Ioctl(fd, Vdev.VIDIOC_DQEVENT, ref e).Errno);
        var subscription = new v4l2_event_subscription { type = Vdev.EventCtrl, id = 0x00980999 };
        Assert.Equal(Errno.EINVAL, syscalls.Ioctl(fd, Vdev.VIDIOC_SUBSCRIBE_EVENT, ref subscription).Errno);
        syscalls.Close(fd);
    }

    private static async Task<T> WaitAsync<T>(Func<T?> probe)
        where T : class
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException("Timed out waiting for a control change notification.");
    }
}
