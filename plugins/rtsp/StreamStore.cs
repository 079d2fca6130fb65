using System.Text.Json;
using System.Text.Json.Serialization;

namespace CameraService.Plugins.Rtsp;

/// <summary>A stream added over the API, as persisted (no credentials: those are in <see cref="StreamStore.CredentialsFile"/>).</summary>
internal sealed record StoredStream(string Id, string Url, string Name, string Type, DateTimeOffset AddedAt);

/// <summary>The user name and password of one stream.</summary>
internal sealed record StoredCredential(string? User, string? Password);

internal sealed record StreamsFile(int Version, int? DiscoveryInterval, IReadOnlyList<StoredStream> Streams);

internal sealed record CredentialsFileContent(int Version, IReadOnlyDictionary<string, StoredCredential> Credentials);

/// <summary>
/// The plugin's state: <c>streams.json</c> (URLs without credentials, names, types, the discovery interval) and
/// <c>credentials.json</c> (mode 0600, written before the streams file so a crash never leaves a stream without its
/// credentials). Both are replaced atomically (temporary file, then rename).
/// </summary>
internal sealed class StreamStore(string directory)
{
    public const string StreamsFileName = "streams.json";
    public const string CredentialsFile = "credentials.json";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Directory { get; } = directory;

    /// <summary>Loads the state; a damaged file is kept as <c>.damaged</c> and the state starts empty (the error is returned for the log).</summary>
    public (IReadOnlyList<(StoredStream Stream, StoredCredential? Credential)> Streams, int? DiscoveryInterval, string? Error) Load()
    {
        var streamsPath = Path.Combine(Directory, StreamsFileName);
        var credentialsPath = Path.Combine(Directory, CredentialsFile);
        if (!File.Exists(streamsPath))
        {
            return ([], null, null);
        }

        try
        {
            var streams = JsonSerializer.Deserialize(File.ReadAllBytes(streamsPath), StoreJsonContext.Default.StreamsFile)
                ?? throw new JsonException("empty file");
            IReadOnlyDictionary<string, StoredCredential> credentials = new Dictionary<string, StoredCredential>();
            if (File.Exists(credentialsPath))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(credentialsPath, OwnerOnly);
                }

                credentials = JsonSerializer.Deserialize(File.ReadAllBytes(credentialsPath), StoreJsonContext.Default.CredentialsFileContent)?.Credentials
                    ?? credentials;
            }

            var list = streams.Streams
                .Select(s => (s, credentials.TryGetValue(s.Id, out var c) ? c : null))
                .ToList();
            return (list, streams.DiscoveryInterval, null);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            File.Copy(streamsPath, streamsPath + ".damaged", overwrite: true);
            return ([], null, $"{StreamsFileName} could not be read ({ex.GetType().Name}); kept as {StreamsFileName}.damaged, starting without API-added streams");
        }
    }

    /// <summary>Writes both files.</summary>
    public void Save(IReadOnlyList<(StoredStream Stream, StoredCredential? Credential)> streams, int? discoveryInterval)
    {
        ArgumentNullException.ThrowIfNull(streams);
        var credentials = streams.Where(s => s.Credential is not null).ToDictionary(s => s.Stream.Id, s => s.Credential!, StringComparer.Ordinal);
        WriteAtomic(CredentialsFile, JsonSerializer.SerializeToUtf8Bytes(new CredentialsFileContent(1, credentials), StoreJsonContext.Default.CredentialsFileContent), OwnerOnly);
        WriteAtomic(StreamsFileName, JsonSerializer.SerializeToUtf8Bytes(new StreamsFile(1, discoveryInterval, [.. streams.Select(s => s.Stream)]), StoreJsonContext.Default.StreamsFile), OwnerOnly | UnixFileMode.GroupRead);
    }

    private void WriteAtomic(string name, byte[] content, UnixFileMode mode)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var target = Path.Combine(Directory, name);
        var temp = target + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // The mode is set at creation, so the secret is never readable by others, not even for a moment.
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var f = new FileStream(temp, options))
            {
                f.Write(content);
                f.Flush(flushToDisk: true);
            }

            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(StreamsFile))]
[JsonSerializable(typeof(CredentialsFileContent))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
