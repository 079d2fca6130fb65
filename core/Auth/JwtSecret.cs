using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CameraService.Core.Hosting;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Auth;

/// <summary>
/// The HS256 key: <c>Auth:JwtSecret</c> when configured, else a random secret generated once and kept in the
/// state directory (<c>jwt-secret</c>, mode 0600). The service and the <c>token create</c> command resolve it
/// the same way, so minted tokens validate.
/// </summary>
internal sealed class JwtSecret
{
    public const string FileName = "jwt-secret";

    public JwtSecret(IOptions<AuthOptions> options, StateDirectory state)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(state);
        if (options.Value.JwtSecret is { Length: > 0 } configured)
        {
            var bytes = Encoding.UTF8.GetBytes(configured);
            if (bytes.Length < AuthOptionsValidator.MinimumSecretBytes)
            {
                throw new InvalidOperationException($"Auth:JwtSecret must be at least {AuthOptionsValidator.MinimumSecretBytes} bytes long.");
            }

            Key = bytes;
            Generated = false;
        }
        else
        {
            Key = LoadOrCreate(state);
            Generated = true;
        }

        // A separate key for signed URLs, so a resource signature can never be replayed as anything else.
        ResourceKey = HMACSHA256.HashData(Key, "camera-service resource signing v1"u8);
    }

    /// <summary>The JWT signing key.</summary>
    public byte[] Key { get; }

    /// <summary>The key for <see cref="CameraService.Abstractions.Api.IAccessControl.SignResource"/>.</summary>
    public byte[] ResourceKey { get; }

    /// <summary>Whether the key came from the state directory.</summary>
    public bool Generated { get; }

    private static byte[] LoadOrCreate(StateDirectory state)
    {
        if (state.ReadOrNull(FileName) is { } existing)
        {
            return Decode(existing, state.PathOf(FileName));
        }

        var secret = RandomNumberGenerator.GetBytes(64);
        var text = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(secret) + "\n");
        Directory.CreateDirectory(state.Path);
        try
        {
            // CreateNew: when two processes start at once, the second one reads the first one's secret.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(state.PathOf(FileName), options);
            stream.Write(text);
            stream.Flush(flushToDisk: true);
            return secret;
        }
        catch (IOException) when (File.Exists(state.PathOf(FileName)))
        {
            return Decode(File.ReadAllBytes(state.PathOf(FileName)), state.PathOf(FileName));
        }
    }

    private static byte[] Decode(byte[] content, string path)
    {
        var text = Encoding.ASCII.GetString(content).Trim();
        try
        {
            var key = Base64Url.DecodeFromChars(text);
            if (key.Length >= AuthOptionsValidator.MinimumSecretBytes)
            {
                return key;
            }
        }
        catch (FormatException)
        {
            // Reported below with the file to fix.
        }

        throw new InvalidOperationException($"The JWT secret file '{path}' is damaged; delete it to generate a new secret (existing tokens stop working) or set Auth:JwtSecret.");
    }
}
