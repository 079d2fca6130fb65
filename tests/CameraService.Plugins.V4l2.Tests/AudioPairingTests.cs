using System.Text;
using CameraService.Abstractions.Cameras;
using CameraService.Plugins.V4l2.Discovery;
using CameraService.Plugins.V4l2.Fakes;
using CameraService.Plugins.V4l2.Tests.Fakes;

namespace CameraService.Plugins.V4l2.Tests;

/// <summary>Pairing a UVC camera with the ALSA capture device of the same USB device (issue 21 item 5), on the fake sysfs.</summary>
public sealed class AudioPairingTests
{
    private const string C920Mic = "usb-046d_082d_5E6F7A8B";
    private const string C920 = "usb-046d_082d_A1B2C3D4";
    private static readonly AudioInput C920Audio = new() { Device = "hw:CARD=C920,DEV=0", SampleRate = 32000, Channels = 2 };

    [Fact]
    public async Task CameraWithASoundCardOfItsUsbDevice_HasThatCaptureDeviceAsAudio()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "c920-mic.txt");
        h.Tree.Plug("video2", "c920-h264.txt");
        await h.StartAsync();

        Assert.Equal(C920Audio, h.Camera(C920Mic).CaptureInput!.Audio);
        Assert.Null(h.Camera(C920).CaptureInput!.Audio);
    }

    [Fact]
    public async Task SoundCardOfAnotherUsbDevice_IsNotPaired()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "c920-h264.txt");
        h.Tree.PlugSoundCard("1-7", new FixtureSound(2, "Headset"));
        await h.StartAsync();

        Assert.Null(h.Camera(C920).CaptureInput!.Audio);
    }

    [Fact]
    public async Task SoundCardWithoutACapturePcm_IsNotPaired()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "c920-mic.txt");
        foreach (var pcm in Directory.EnumerateFileSystemEntries(Path.Combine(h.Tree.SysfsRoot, "class", "sound"), "pcm*"))
        {
            var target = new FileInfo(pcm).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
            File.Delete(pcm);
            Directory.Delete(target);
        }

        await h.StartAsync();

        Assert.Null(h.Camera(C920Mic).CaptureInput!.Audio);
    }

    [Fact]
    public async Task HotPluggedCameraWithASoundCard_IsPaired()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        await h.StartAsync();

        h.Tree.Plug("video0", "c920-mic.txt");

        var added = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Added, "camera added");
        Assert.Equal(C920Audio, added.Camera.CaptureInput!.Audio);
    }

    [Fact]
    public async Task SoundCardBindingAfterTheVideoNode_IsPairedByItsUevent_AndUnpairedWhenItGoes()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromHours(1));
        h.Tree.Plug("video0", "c920-h264.txt");
        await h.StartAsync();
        Assert.Null(h.Camera(C920).CaptureInput!.Audio);

        h.Tree.PlugSoundCard("1-2", new FixtureSound(3, "C920", Channels: 2, Rates: "8000 - 48000 (continuous)"));
        Assert.True(h.Source.OnUevent(Encoding.ASCII.GetBytes(
            "add@/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.2/sound/card3\0ACTION=add\0SUBSYSTEM=sound\0")));

        var updated = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Updated, "camera updated with its microphone");
        Assert.Equal(new AudioInput { Device = "hw:CARD=C920,DEV=0", SampleRate = 48000, Channels = 2 }, updated.Camera.CaptureInput!.Audio);

        h.Tree.UnplugSoundCard(3);
        h.Events.Clear();
        Assert.True(h.Source.OnUevent(Encoding.ASCII.GetBytes(
            "remove@/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.2/sound/card3\0ACTION=remove\0SUBSYSTEM=sound\0")));
        var unpaired = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Updated, "camera updated without a microphone");
        Assert.Null(unpaired.Camera.CaptureInput!.Audio);
    }

    [Fact]
    public async Task SoundCardBindingLater_IsPairedByTheReconcile()
    {
        await using var h = new SourceHarness(o => o.ReconcileInterval = TimeSpan.FromMilliseconds(100));
        h.Tree.Plug("video0", "c920-h264.txt");
        await h.StartAsync();

        h.Tree.PlugSoundCard("1-2", new FixtureSound(1, "C920", Channels: 2, Rates: "16000, 48000"));

        var updated = await h.WaitForEventAsync(e => e.Kind == CameraChangeKind.Updated, "camera updated with its microphone");
        Assert.Equal(new AudioInput { Device = "hw:CARD=C920,DEV=0", SampleRate = 48000, Channels = 2 }, updated.Camera.CaptureInput!.Audio);
    }

    [Fact]
    public async Task PairingTurnedOff_LeavesEveryCameraWithoutAudio()
    {
        await using var h = new SourceHarness(o => o.Audio = false);
        h.Tree.Plug("video0", "c920-mic.txt");
        await h.StartAsync();

        Assert.Null(h.Camera(C920Mic).CaptureInput!.Audio);
    }

    [Fact]
    public async Task PerCameraAudioFalse_LeavesThatCameraWithoutAudio()
    {
        await using var h = new SourceHarness(o => o.Cameras[C920Mic] = new V4l2CameraOptions { Audio = false });
        h.Tree.Plug("video0", "c920-mic.txt");
        await h.StartAsync();

        Assert.Null(h.Camera(C920Mic).CaptureInput!.Audio);
    }

    [Fact]
    public async Task ClientChosenCaptureMode_KeepsTheMicrophone()
    {
        await using var h = new SourceHarness();
        h.Tree.Plug("video0", "c920-mic.txt");
        await h.StartAsync();

        var input = h.Source.SelectCaptureInput(C920Mic, new CameraCaptureMode { Format = "MJPG", Width = 640, Height = 480, FrameRate = 30 });

        Assert.Equal(C920Audio, input.Audio);
    }

    [Fact]
    public void SoundCardWithoutStream0_HasNoRateOrChannels()
    {
        using var tree = FakeDeviceTree.CreateTemporary();
        tree.Plug("video0", "c920-mic.txt");
        File.Delete(Path.Combine(tree.ProcfsRoot, "asound", "card1", "stream0"));

        var audio = new AudioPairing(tree.SysfsRoot, tree.ProcfsRoot).Find("video0");

        Assert.Equal(new AudioInput { Device = "hw:CARD=C920,DEV=0" }, audio);
    }

    [Theory]
    [InlineData("    Rates: 16000\n", 16000)]
    [InlineData("    Rates: 16000, 24000, 32000\n", 32000)]
    [InlineData("    Rates: 8000, 48000, 96000\n", 48000)]
    [InlineData("    Rates: 8000 - 96000 (continuous)\n", 48000)]
    [InlineData("    Rates: 8000 - 16000 (continuous)\n", 16000)]
    public void Stream0_RateIs48kWhenOfferedElseTheHighest(string rates, int expected)
    {
        var text = "C920 at usb-0000:00:14.0-2, high speed : USB Audio\n\nPlayback:\n  Interface 1\n    Altset 1\n    Channels: 6\n    Rates: 44100\n\n" +
            "Capture:\n  Status: Stop\n  Interface 3\n    Altset 1\n    Format: S16_LE\n    Channels: 1\n" + rates + "    Bits: 16\n";

        Assert.Equal((expected, 1), AudioPairing.ParseStream(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Playback:\n  Interface 1\n    Altset 1\n    Channels: 2\n    Rates: 48000\n")]
    [InlineData("Capture:\n  Interface 3\n    Altset 1\n    Channels: x\n    Rates: fast\n")]
    public void Stream0_WithoutAUsableCaptureSection_GivesZeros(string text) =>
        Assert.Equal((0, 0), AudioPairing.ParseStream(text));

    [Fact]
    public void ProcfsRootNotAbsolute_IsRefusedNamingTheKey()
    {
        var result = new V4l2OptionsValidator().Validate(null, new V4l2Options { ProcfsRoot = "proc" });

        Assert.Contains("Plugins:V4l2:ProcfsRoot", result.FailureMessage, StringComparison.Ordinal);
    }
}
