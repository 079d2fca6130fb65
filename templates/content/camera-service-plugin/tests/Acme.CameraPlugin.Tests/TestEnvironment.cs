using CameraService.Abstractions.Plugins;

namespace Acme.CameraPlugin.Tests;

/// <summary>What the host gives the plugin, pointing at a temporary folder the test deletes.</summary>
internal sealed class TestEnvironment : IServiceEnvironment, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("acme-cameraplugin-").FullName;

    public TestEnvironment() =>
        Media = new MediaLayout
        {
            RootDirectory = Path.Combine(_root, "media"),
            RecordingsDirectory = Path.Combine(_root, "media", "recordings"),
            SnapshotsDirectory = Path.Combine(_root, "media", "snapshots"),
        };

    public string ServiceVersion => "test";

    public string StateDirectory => Directory.CreateDirectory(Path.Combine(_root, "state")).FullName;

    public string PublicBaseUrl => "http://127.0.0.1:8002";

    public string PublicHost => "127.0.0.1";

    public MediaLayout Media { get; }

    public TimeProvider Time => TimeProvider.System;

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
