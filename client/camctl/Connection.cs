using System.Text.Json;
using CameraService.Client;

namespace CameraService.Camctl;

/// <summary>Where camctl connects: <c>--url</c>/<c>--token</c>, else <c>CAMCTL_URL</c>/<c>CAMCTL_TOKEN</c>, else the config file.</summary>
internal sealed record ConnectionSettings(Uri Url, string? Token)
{
    public const string DefaultUrl = "ws://127.0.0.1:8002/ws";

    /// <summary>The config file: <c>$CAMCTL_CONFIG</c>, else <c>~/.config/camctl/config.json</c> (<c>{"url": "...", "token": "..."}</c>).</summary>
    public static string ConfigPath =>
        Environment.GetEnvironmentVariable("CAMCTL_CONFIG") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "camctl", "config.json");

    public static ConnectionSettings Resolve(string? url, string? token)
    {
        string? fileUrl = null;
        string? fileToken = null;
        if (File.Exists(ConfigPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(ConfigPath));
                fileUrl = doc.RootElement.TryGetProperty("url", out var u) ? u.GetString() : null;
                fileToken = doc.RootElement.TryGetProperty("token", out var t) ? t.GetString() : null;
            }
            catch (JsonException ex)
            {
                throw new UsageException($"The config file {ConfigPath} is not valid JSON: {ex.Message}");
            }
        }

        var text = url ?? Environment.GetEnvironmentVariable("CAMCTL_URL") ?? fileUrl ?? DefaultUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            throw new UsageException($"--url must be a ws:// or wss:// URL such as {DefaultUrl} (got '{text}')");
        }

        return new ConnectionSettings(uri, token ?? Environment.GetEnvironmentVariable("CAMCTL_TOKEN") ?? fileToken);
    }

    /// <summary>Connects; <paramref name="reconnect"/> keeps long-running commands (events) alive across service restarts.</summary>
    public Task<CameraServiceClient> ConnectAsync(bool reconnect, CancellationToken cancellationToken) =>
        CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = Url, Token = Token, AutoReconnect = reconnect, RequestTimeout = TimeSpan.FromSeconds(30) }, cancellationToken);
}

/// <summary>A mistake in how camctl was called.</summary>
internal sealed class UsageException(string message) : Exception(message);
