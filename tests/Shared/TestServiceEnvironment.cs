using CameraService.Abstractions.Plugins;

namespace CameraService.Tests.Support;

/// <summary>
/// The host's <see cref="IServiceEnvironment"/> for plugin tests that build a plugin's services without the host:
/// state in <c>&lt;root&gt;/state</c>, media in <c>&lt;root&gt;/media</c> unless given.
/// </summary>
internal sealed class TestServiceEnvironment : IServiceEnvironment
{
    public TestServiceEnvironment(string root, string? mediaRoot = null, string publicBaseUrl = "http://127.0.0.1:8002", TimeProvider? time = null)
    {
        StateDirectory = Path.Combine(root, "state");
        var media = mediaRoot ?? Path.Combine(root, "media");
        Media = new MediaLayout
        {
            RootDirectory = media,
            RecordingsDirectory = Path.Combine(media, "recordings"),
            SnapshotsDirectory = Path.Combine(media, "snapshots"),
        };
        PublicBaseUrl = publicBaseUrl.TrimEnd('/');
        PublicHost = new Uri(PublicBaseUrl).Host;
        Time = time ?? TimeProvider.System;
    }

    public string ServiceVersion => "0.0.0-test";

    public string StateDirectory { get; }

    public string PublicBaseUrl { get; }

    public string PublicHost { get; }

    public MediaLayout Media { get; }

    public TimeProvider Time { get; }

    public string ApiWebSocketPath { get; init; } = "/ws";

    public string NodeId { get; init; } = "test-box";

    public string SelectedStreamBackend { get; init; } = "mediamtx";

    public string SelectedMediaStore { get; init; } = "storage";
}
