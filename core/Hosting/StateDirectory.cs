using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Configuration;

namespace CameraService.Core.Hosting;

/// <summary>
/// The state directory (<c>State:Directory</c>) where the core keeps small files (camera ids, API keys, the
/// generated JWT secret). Writes are atomic: a temporary file in the same folder, flushed, then renamed.
/// </summary>
internal sealed class StateDirectory
{
    public StateDirectory(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration["State:Directory"];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException("State:Directory is not set; configure a folder the service may write its state to.");
        }

        Path = System.IO.Path.GetFullPath(value);
    }

    public StateDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>The full path of a state file.</summary>
    public string PathOf(string fileName) => System.IO.Path.Combine(Path, fileName);

    /// <summary>Replaces a state file atomically; with <paramref name="privateFile"/> the file is created with mode 0600.</summary>
    public void WriteAtomic(string fileName, ReadOnlySpan<byte> content, bool privateFile = false)
    {
        Directory.CreateDirectory(Path);
        var target = PathOf(fileName);
        var temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (privateFile && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            // Leave no temporary file behind; the caller sees the original failure.
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Reads a state file, or returns null when it does not exist.</summary>
    public byte[]? ReadOrNull(string fileName)
    {
        try
        {
            return File.ReadAllBytes(PathOf(fileName));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads a JSON state file; null when it does not exist. A file that cannot be read as <typeparamref name="T"/> is
    /// kept aside as <c>&lt;name&gt;.corrupt</c> for inspection and read as null, so one bad file never stops the service.
    /// </summary>
    public T? ReadJsonOrQuarantine<T>(string fileName, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (ReadOrNull(fileName) is not { } bytes)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo);
        }
        catch (JsonException)
        {
            File.Copy(PathOf(fileName), PathOf(fileName + ".corrupt"), overwrite: true);
            return null;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort cleanup of a temporary file.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort cleanup of a temporary file.
        }
    }
}
