using CameraService.Plugins.Storage.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CameraService.Plugins.Storage.Tests;

/// <summary>A temporary media root and state directory with a store over them; everything is removed on dispose.</summary>
internal sealed class StoreHarness : IAsyncDisposable
{
    /// <summary>
    /// The fake clock's fixed start (the same instant as the core tests' harness). Tests set later instants on it,
    /// so it must never depend on the real date: a real start would make <c>SetUtcNow</c> of a fixed date go back in time.
    /// </summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    private readonly List<StorageMediaStore> _stores = [];

    public StoreHarness(Action<StorageOptions>? configure = null, bool fakeTime = true)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("storage-tests-");
        Root = Path.Combine(Directory.FullName, "media");
        StateDirectory = Path.Combine(Directory.FullName, "state");
        Recordings = Path.Combine(Root, "recordings");
        Snapshots = Path.Combine(Root, "snapshots");
        Time = new FakeTimeProvider(Start);
        UseFakeTime = fakeTime;
        Configure = configure;
        Store = NewStore();
    }

    public DirectoryInfo Directory { get; }

    public string Root { get; }

    public string StateDirectory { get; }

    public string Recordings { get; }

    public string Snapshots { get; }

    public FakeTimeProvider Time { get; }

    public bool UseFakeTime { get; }

    public FakeStatusProvider Status { get; } = new();

    public StorageMediaStore Store { get; }

    private Action<StorageOptions>? Configure { get; }

    /// <summary>A new store instance over the same directories (as after a restart).</summary>
    public StorageMediaStore NewStore()
    {
        var options = new StorageOptions { Root = Root, StateDirectory = StateDirectory };
        Configure?.Invoke(options);
        var store = new StorageMediaStore(
            Options.Create(options),
            Status,
            UseFakeTime ? Time : TimeProvider.System,
            NullLogger<StorageMediaStore>.Instance);
        _stores.Add(store);
        return store;
    }

    /// <summary>Writes a file of <paramref name="size"/> bytes with a modification time <paramref name="age"/> ago.</summary>
    public string WriteFile(string kindDirectory, string cameraId, string name, TimeSpan age, int size = 0)
    {
        var dir = Path.Combine(kindDirectory, cameraId);
        System.IO.Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, new byte[size]);
        File.SetLastWriteTimeUtc(path, (Time.GetUtcNow() - age).UtcDateTime);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.StopAsync(CancellationToken.None);
            store.Dispose();
        }

        Directory.Delete(recursive: true);
    }
}

internal static class Poll
{
    /// <summary>Polls <paramref name="condition"/> until true or 10 s pass (no timing is asserted).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }
}
