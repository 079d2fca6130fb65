using CameraService.Plugins.Storage;

namespace CameraService.Plugins.Storage.Tests.Fakes;

/// <summary>A file system of a chosen size whose usage the test sets (or computes from the files on disk).</summary>
internal sealed class FakeStatusProvider : IFileSystemStatusProvider
{
    private readonly Lock _lock = new();
    private FileSystemSpace _space = new(1_000_000, 900_000, 900_000);

    /// <summary>When set, computes the space on every measurement (e.g. from the bytes on disk).</summary>
    public Func<FileSystemSpace>? Compute { get; set; }

    /// <summary>When set, every measurement throws it.</summary>
    public Exception? Failure { get; set; }

    public int Measurements { get; private set; }

    /// <summary>Sets usage: <paramref name="usedPercent"/> of <paramref name="total"/> bytes used, no reserved blocks.</summary>
    public void SetUsage(double usedPercent, long total = 1_000_000)
    {
        var used = (long)(total * usedPercent / 100);
        lock (_lock)
        {
            _space = new FileSystemSpace(total, total - used, total - used);
        }
    }

    public FileSystemSpace Measure(string path)
    {
        lock (_lock)
        {
            Measurements++;
            if (Failure is not null)
            {
                throw Failure;
            }

            return Compute?.Invoke() ?? _space;
        }
    }
}
