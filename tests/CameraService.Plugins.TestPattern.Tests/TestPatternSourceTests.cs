using System.Diagnostics;
using CameraService.Abstractions.Cameras;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.TestPattern.Tests;

/// <summary>Skips when ffmpeg is not installed (test.sh installs it).</summary>
public sealed class FfmpegFactAttribute : FactAttribute
{
    public FfmpegFactAttribute()
    {
        if (TestPatternSourceTests.FindFfmpeg() is null)
        {
            Skip = "ffmpeg is not installed (test.sh installs it: apt-get install -y ffmpeg)";
        }
    }
}

public sealed class TestPatternSourceTests
{
    internal static string? FindFfmpeg() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Select(dir => Path.Combine(dir, "ffmpeg")).FirstOrDefault(File.Exists);

    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        new TestPatternPlugin().ConfigureServices(services, configuration);
        services.AddSingleton<IConfiguration>(configuration);
        return services.BuildServiceProvider();
    }

    private static async Task<(ICameraSource Source, List<CameraChangedEventArgs> Events)> StartAsync(ServiceProvider provider)
    {
        var source = Assert.Single(provider.GetServices<ICameraSource>());
        var events = new List<CameraChangedEventArgs>();
        source.CameraChanged += (_, e) => events.Add(e);
        await source.StartAsync(CancellationToken.None);
        return (source, events);
    }

    [Fact]
    public async Task StartAsync_NotEnabled_ReportsNoCameras()
    {
        await using var provider = Build();

        var (source, events) = await StartAsync(provider);

        Assert.Equal("testpattern", source.Name);
        Assert.Empty(source.GetCameras());
        Assert.Empty(events);
    }

    [Fact]
    public async Task StartAsync_EnabledWithDefaults_ReportsTwoCamerasWithStableIds()
    {
        await using var provider = Build(("Plugins:TestPattern:Enabled", "true"));

        var (source, events) = await StartAsync(provider);

        Assert.Equal(["testpattern-0", "testpattern-1"], source.GetCameras().Select(c => c.StableId));
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(CameraChangeKind.Added, e.Kind));
        var camera = source.GetCameras()[0];
        Assert.Equal(CameraState.Available, camera.State);
        Assert.Equal("testpattern", camera.Source);
        Assert.Null(camera.DevicePath);
        var input = camera.CaptureInput!;
        Assert.Equal(["-re", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=15"], input.FfmpegInputArguments);
        Assert.False(input.IsLive);
        Assert.False(input.IsH264);
        Assert.Equal((640, 480, 15d), (input.Width, input.Height, input.FrameRate));
        var size = Assert.Single(Assert.Single(camera.Formats).Sizes);
        Assert.Equal((640, 480), (size.Width, size.Height));
        Assert.Equal([15d], size.FrameRates);
    }

    [Fact]
    public async Task StartAsync_CustomCountAndMode_UsesThem()
    {
        await using var provider = Build(
            ("Plugins:TestPattern:Enabled", "true"),
            ("Plugins:TestPattern:Count", "3"),
            ("Plugins:TestPattern:Width", "320"),
            ("Plugins:TestPattern:Height", "240"),
            ("Plugins:TestPattern:Fps", "5"));

        var (source, _) = await StartAsync(provider);

        Assert.Equal(["testpattern-0", "testpattern-1", "testpattern-2"], source.GetCameras().Select(c => c.StableId));
        Assert.All(source.GetCameras(), c => Assert.Equal("testsrc2=size=320x240:rate=5", c.CaptureInput!.FfmpegInputArguments[^1]));
    }

    [Fact]
    public async Task StartAsync_HandlerThrows_StillAnnouncesEveryCamera()
    {
        await using var provider = Build(("Plugins:TestPattern:Enabled", "true"));
        var source = provider.GetRequiredService<ICameraSource>();
        var seen = 0;
        source.CameraChanged += (_, _) =>
        {
            seen++;
            throw new InvalidOperationException("subscriber bug");
        };

        await source.StartAsync(CancellationToken.None);

        Assert.Equal(2, seen);
        Assert.Equal(2, source.GetCameras().Count);
    }

    [Theory]
    [InlineData("Count", "-1")]
    [InlineData("Count", "65")]
    [InlineData("Width", "641")]
    [InlineData("Height", "8")]
    [InlineData("Fps", "0")]
    public async Task Validate_BadValue_FailsNamingTheKey(string key, string value)
    {
        await using var provider = Build(("Plugins:TestPattern:" + key, value));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TestPatternOptions>>().Value);

        Assert.Contains("Plugins:TestPattern:" + key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_MatchesManifestId() => Assert.Equal("testpattern", new TestPatternPlugin().Id);

    [FfmpegFact]
    public async Task CaptureInput_RunByFfmpeg_ProducesAJpegFrame()
    {
        await using var provider = Build(("Plugins:TestPattern:Enabled", "true"), ("Plugins:TestPattern:Count", "1"), ("Plugins:TestPattern:Width", "160"), ("Plugins:TestPattern:Height", "120"));
        var (source, _) = await StartAsync(provider);
        var dir = Directory.CreateTempSubdirectory("testpattern-");
        try
        {
            var output = Path.Combine(dir.FullName, "frame.jpg");
            var info = new ProcessStartInfo(FindFfmpeg()!) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "-hide_banner", "-nostdin", "-loglevel", "error" }
                .Concat(source.GetCameras()[0].CaptureInput!.FfmpegInputArguments)
                .Concat(["-frames:v", "1", "-y", output]))
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);

            Assert.True(process.ExitCode == 0, await stderr);
            var bytes = await File.ReadAllBytesAsync(output);
            Assert.True(bytes.Length > 100);
            Assert.Equal([0xFF, 0xD8], bytes[..2]); // JPEG start-of-image
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
