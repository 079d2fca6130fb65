using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp.Tests;

/// <summary>The network camera source against a real GStreamer RTSP server on 127.0.0.1.</summary>
public sealed class SourceTests
{
    [Fact]
    public async Task AddedH264Stream_BecomesCameraWithProbedCapabilities()
    {
        await using var server = await RtspTestServer.StartNewAsync();
        await using var h = new Harness();
        await h.StartAsync();

        var added = await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.Url, Name = "Gate" }, CancellationToken.None);

        Assert.Equal(ExternalStreamStatuses.Discovered, added.Status);
        Assert.Equal("generic", added.Type);
        Assert.Equal(PixelFormats.H264, added.Capabilities.Codec);
        Assert.Equal("api", added.Capabilities.Source);
        Assert.Equal(server.Port, added.Capabilities.Port);
        Assert.Equal("/cam", added.Capabilities.StreamPath);
        Assert.Equal(("sdp", "320x240", "15"), (added.Capabilities.Metadata["probe"], added.Capabilities.Metadata["resolution"], added.Capabilities.Metadata["fps"]));
        var e = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added, "the camera");
        Assert.Equal(CameraState.Available, e.Camera.State);
        Assert.Equal("Gate", e.Camera.Name);
        Assert.Equal(added.StableId, e.Camera.StableId);
        var input = Assert.IsType<NetworkCaptureInput>(e.Camera.CaptureInput);
        Assert.Equal(new Uri(server.Url), input.Url);
        Assert.Equal(PixelFormats.H264, input.Video.PixelFormat);
        Assert.Equal((320, 240, 15.0), (input.Video.Width, input.Video.Height, input.Video.FrameRate));
        Assert.Null(input.Audio);
        var size = Assert.Single(Assert.Single(e.Camera.Formats).Sizes);
        Assert.Equal([15.0], size.FrameRates);
        Assert.Contains(h.StreamEvents, s => s.Change == "added");
        Assert.Contains(h.StreamEvents, s => s.Change == "connected");
    }

    [Fact]
    public async Task StreamWithAudio_ReportsItsAudioTrack()
    {
        await using var server = await RtspTestServer.StartNewAsync(audio: true);
        await using var h = new Harness();
        await h.StartAsync();

        await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.Url, Name = "With audio" }, CancellationToken.None);

        var e = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added, "the camera");
        var audio = Assert.IsType<NetworkCaptureInput>(e.Camera.CaptureInput).Audio;
        Assert.NotNull(audio);
        Assert.Equal(AudioCodecs.Aac, audio.Codec);
        Assert.Equal(16000, audio.SampleRate);
        Assert.Equal(1, audio.Channels);
        Assert.Equal("true", Assert.Single(h.Source.GetExternalStreams()).Capabilities.Metadata["audio"]);
    }

    [Theory]
    [InlineData("basic")]
    [InlineData("digest")]
    public async Task AuthenticatedStream_Connects_AndTheSecretStaysInThe0600Store(string auth)
    {
        const string Password = "p@ss:w0rd-Secret";
        await using var server = await RtspTestServer.StartNewAsync(auth: auth, user: "alice", password: Password);
        await using var h = new Harness();
        await h.StartAsync();

        var added = await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.UrlWithCredentials, Name = "Locked" }, CancellationToken.None);

        var e = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added && e.Camera.State == CameraState.Available, "the authenticated camera");
        var input = Assert.IsType<NetworkCaptureInput>(e.Camera.CaptureInput);
        Assert.Equal("alice", input.UserName);
        Assert.Equal(Password, input.Password);
        Assert.DoesNotContain(Password, input.Url.AbsoluteUri, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, input.ToString(), StringComparison.Ordinal);
        Assert.Equal($"rtsp://alice:***@127.0.0.1:{server.Port}/cam", added.Url);
        Assert.DoesNotContain(Password, e.Camera.BusInfo, StringComparison.Ordinal);

        // Only the credentials file holds the password, and only its owner can read it.
        var state = h.Environment.StateDirectory;
        var credentials = Path.Combine(state, StreamStore.CredentialsFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentials));
        Assert.Contains(Password, await File.ReadAllTextAsync(credentials), StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(h.Root, "*", SearchOption.AllDirectories).Where(f => f != credentials))
        {
            Assert.DoesNotContain(Password, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(Password), await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        }

        Assert.All(h.Log, line => Assert.DoesNotContain(Password, line, StringComparison.Ordinal));
        Assert.All(h.Source.GetExternalStreams(), s => Assert.DoesNotContain(Password, s.Url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongPassword_CameraInErrorWithAReason_NoSecretInTheLog()
    {
        await using var server = await RtspTestServer.StartNewAsync(auth: "digest", user: "alice", password: "right");
        await using var h = new Harness();
        await h.StartAsync();
        var url = server.UrlWithCredentials.Replace(":right@", ":Wr0ngSecret@", StringComparison.Ordinal);

        var added = await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = url, Name = "Wrong" }, CancellationToken.None);

        Assert.Equal(ExternalStreamStatuses.Error, added.Status);
        var e = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added, "the camera in error");
        Assert.Equal(CameraState.Error, e.Camera.State);
        Assert.Contains("does not answer", e.Camera.Error, StringComparison.Ordinal);
        Assert.All(h.Log, line => Assert.DoesNotContain("Wr0ngSecret", line, StringComparison.Ordinal));
        Assert.DoesNotContain("Wr0ngSecret", e.Camera.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerDiesAndComesBack_CameraRemovedThenAddedWithTheSameStableId()
    {
        await using var server = await RtspTestServer.StartNewAsync();
        await using var h = new Harness();
        await h.StartAsync();
        await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.Url, Name = "Flaky" }, CancellationToken.None);
        var first = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added, "the camera");

        server.Kill();
        var gone = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Removed, "the camera to go away");
        Assert.Equal(first.Camera.StableId, gone.Camera.StableId);
        Assert.Equal(ExternalStreamStatuses.Error, Assert.Single(h.Source.GetExternalStreams()).Status);
        Assert.Empty(h.Source.GetCameras());
        Assert.Contains(h.StreamEvents, s => s.Change == "disconnected");

        await server.StartAsync();
        var back = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added && e != first, "the camera to come back");
        Assert.Equal(first.Camera.StableId, back.Camera.StableId);
        Assert.Equal(CameraState.Available, back.Camera.State);
        Assert.Equal(ExternalStreamStatuses.Discovered, Assert.Single(h.Source.GetExternalStreams()).Status);
    }

    [Fact]
    public async Task H265Stream_SdpIsNotEnough_FfprobeReportsIt()
    {
        await using var server = await RtspTestServer.StartNewAsync(codec: "h265");
        await using var h = new Harness();
        await h.StartAsync();

        var added = await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.Url, Name = "HEVC" }, CancellationToken.None);

        Assert.Equal(ExternalStreamStatuses.Discovered, added.Status);
        Assert.Equal((PixelFormats.Hevc, "ffprobe", "320x240"), (added.Capabilities.Codec, added.Capabilities.Metadata["probe"], added.Capabilities.Metadata["resolution"]));
        var e = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added, "the camera");
        Assert.Equal(PixelFormats.Hevc, Assert.IsType<NetworkCaptureInput>(e.Camera.CaptureInput).Video.PixelFormat);
    }

    [Fact]
    public async Task RemovingADisconnectedStream_DeletesItsCamera()
    {
        await using var server = await RtspTestServer.StartNewAsync();
        await using var h = new Harness();
        await h.StartAsync();
        var added = await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.Url, Name = "Gone" }, CancellationToken.None);
        await h.WaitForAsync(e => e.Kind == CameraChangeKind.Added, "the camera");
        server.Kill();
        await h.WaitForAsync(e => e.Kind == CameraChangeKind.Removed, "the camera to go away");

        await h.Source.RemoveExternalStreamAsync(added.Url, CancellationToken.None);

        // The registry still lists a disconnected camera; the deletion takes it off the list.
        var deleted = await h.WaitForAsync(e => e.Kind == CameraChangeKind.Deleted, "the deletion");
        Assert.Equal(added.StableId, deleted.Camera.StableId);
        var order = h.StreamEvents.Select(s => s.Change).ToList();
        Assert.Equal("removed", order[^1]);
        Assert.Empty(h.Source.GetCameras());
        Assert.Empty(h.Source.GetExternalStreams());
    }

    [Fact]
    public async Task Restart_KeepsAddedStreams_AndRemoveForgetsThem()
    {
        await using var server = await RtspTestServer.StartNewAsync(auth: "basic", user: "bob", password: "k33p");
        var root = Directory.CreateTempSubdirectory("rtsp-plugin-restart-").FullName;
        try
        {
            string stableId;
            await using (var h = new Harness(root: root))
            {
                await h.StartAsync();
                stableId = (await h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.UrlWithCredentials, Name = "Kept", Type = "skydio" }, CancellationToken.None)).StableId!;
                await h.Source.StopAsync(CancellationToken.None);
            }

            await using (var again = new Harness(root: root))
            {
                await again.StartAsync();
                var e = await again.WaitForAsync(e => e.Kind == CameraChangeKind.Added, "the kept camera after the restart");
                Assert.Equal(stableId, e.Camera.StableId);
                Assert.Equal(CameraState.Available, e.Camera.State);
                var listed = Assert.Single(again.Source.GetExternalStreams());
                Assert.Equal(("Kept", "skydio"), (listed.Name, listed.Type));

                // Removed by its listed (masked) URL.
                var removed = await again.Source.RemoveExternalStreamAsync(listed.Url, CancellationToken.None);
                Assert.Equal(listed.Url, removed.Url);
                await again.WaitForAsync(e => e.Kind == CameraChangeKind.Deleted && e.Camera.StableId == stableId, "the removed camera to be deleted");
                Assert.Empty(again.Source.GetExternalStreams());
                await Assert.ThrowsAsync<ResourceNotFoundException>(() => again.Source.RemoveExternalStreamAsync(listed.Url, CancellationToken.None));
                await again.Source.StopAsync(CancellationToken.None);
            }

            await using var third = new Harness(root: root);
            await third.StartAsync();
            Assert.Empty(third.Source.GetExternalStreams());
            Assert.DoesNotContain("k33p", await File.ReadAllTextAsync(Path.Combine(third.Environment.StateDirectory, StreamStore.CredentialsFile)), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task ConfiguredStream_IsACamera_AndCannotBeRemovedOverTheApi()
    {
        await using var server = await RtspTestServer.StartNewAsync(path: "/subject");
        var options = Harness.Fast();
        options.Streams.Add(new ConfiguredStream { Url = server.Url, Name = "Configured" });
        await using var h = new Harness(options);

        await h.StartAsync();

        // StartAsync returns after the first probe: the camera is there.
        var camera = Assert.Single(h.Source.GetCameras());
        Assert.Equal("Configured", camera.Name);
        var listed = Assert.Single(h.Source.GetExternalStreams());
        Assert.True(listed.Configured);
        Assert.Equal("configuration", listed.Capabilities.Source);
        var error = await Assert.ThrowsAsync<InvalidStateException>(() => h.Source.RemoveExternalStreamAsync(server.Url, CancellationToken.None));
        Assert.Contains("Plugins:Rtsp:Streams", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidParameterException>(() => h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = server.Url, Name = "Twice" }, CancellationToken.None));
    }

    [Theory]
    [InlineData("http://127.0.0.1/x", "rtsp://")]
    [InlineData("rtsp://user:***@127.0.0.1/x", "real password")]
    [InlineData("not a url", "rtsp://")]
    [InlineData("rtsp:///nohost", "must name a host")]
    public async Task BadUrl_IsRefused_AndNothingIsStored(string url, string expected)
    {
        await using var h = new Harness();
        await h.StartAsync();

        var error = await Assert.ThrowsAsync<InvalidParameterException>(() => h.Source.AddExternalStreamAsync(new ExternalStreamRequest { Url = url, Name = "Bad" }, CancellationToken.None));

        Assert.Equal("stream_url", error.Param);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(h.Source.GetExternalStreams());
        Assert.False(File.Exists(Path.Combine(h.Environment.StateDirectory, StreamStore.StreamsFileName)));
    }

    [Fact]
    public void OptionsValidator_NamesEveryBadKey()
    {
        var options = new RtspOptions
        {
            Transport = "carrier-pigeon",
            Streams = [new ConfiguredStream { Url = "http://x", Name = "" }],
            Discovery = new DiscoveryOptions { MaxConcurrency = 0, Targets = [new DiscoveryTarget { Hosts = ["not-an-ip"], Profile = "acme" }] },
        };

        var result = new RtspOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var text = string.Join("\n", result.Failures!);
        foreach (var key in new[] { "Plugins:Rtsp:Transport", "Plugins:Rtsp:Streams:0:Url", "Plugins:Rtsp:Streams:0:Name", "Plugins:Rtsp:Discovery:MaxConcurrency", "Plugins:Rtsp:Discovery:Targets:0:Hosts", "Plugins:Rtsp:Discovery:Targets:0:Profile" })
        {
            Assert.Contains(key, text, StringComparison.Ordinal);
        }

        Assert.True(new RtspOptionsValidator().Validate(null, new RtspOptions()).Succeeded);
    }

    [Fact]
    public void StreamUrl_MasksThePassword_AndKeepsTheStableIdWithoutCredentials()
    {
        Assert.True(StreamUrl.TryParse("rtsp://u%40x:p%3Aw@192.0.2.1:8554/a/b?c=d", out var withCreds, out _));
        Assert.True(StreamUrl.TryParse("rtsp://192.0.2.1:8554/a/b?c=d", out var bare, out _));

        Assert.Equal("u@x", withCreds.UserName);
        Assert.Equal("p:w", withCreds.Password);
        Assert.Equal("rtsp://u%40x:***@192.0.2.1:8554/a/b?c=d", withCreds.Display);
        Assert.Equal(bare.StableId, withCreds.StableId);
        Assert.Equal("rtsp://u%40x:***@192.0.2.1:8554/a/b?c=d ***", withCreds.Scrub(withCreds.WithCredentials + " p:w"));
        Assert.True(StreamUrl.TryParse("rtsp://10.0.0.5:5554/subject", out var skydio, out _));
        Assert.Equal(("skydio", "subject"), (skydio.DefaultType, skydio.StreamKind));
    }
}
