namespace CameraService.Perf.Tests;

/// <summary>A temp directory deleted when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public DirectoryInfo Info { get; } = Directory.CreateTempSubdirectory("camera-service-perf-tests-");

    public string Path => Info.FullName;

    public void Dispose()
    {
        try
        {
            Info.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}
