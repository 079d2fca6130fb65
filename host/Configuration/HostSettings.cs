using Microsoft.Extensions.Configuration;

namespace CameraService.Host.Configuration;

/// <summary>The host's own settings, read and validated before anything starts.</summary>
internal sealed record HostSettings(
    string StateDirectory,
    string StorageRoot,
    string PluginsDirectory,
    TimeSpan ShutdownTimeout)
{
    public static HostSettings Read(IConfiguration configuration)
    {
        PlaceholderValues.Reject(configuration);
        var state = RequirePath(configuration, ConfigurationKeys.StateDirectory);
        var storage = RequirePath(configuration, ConfigurationKeys.StorageRoot);
        var plugins = RequirePath(configuration, ConfigurationKeys.PluginsDirectory);
        var shutdown = ReadDuration(configuration, ConfigurationKeys.ShutdownTimeout, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        return new HostSettings(state, storage, plugins, shutdown);
    }

    /// <summary>Reads a duration given as a TimeSpan (<c>00:00:30</c>) or with a unit (<c>30s</c>, <c>500ms</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>).</summary>
    public static TimeSpan ReadDuration(IConfiguration configuration, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!TryParseDuration(text, out var value) || value < min || value > max)
        {
            throw new ConfigurationException(key, $"must be a duration between {min} and {max}, e.g. '30s' or '00:00:30' (got '{text}')");
        }

        return value;
    }

    public static bool TryParseDuration(string text, out TimeSpan value) => CameraService.Shared.DurationText.TryParse(text, out value);

    private static string RequirePath(IConfiguration configuration, string key)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ConfigurationException(key, "must be a folder path");
        }

        if (value.IndexOfAny(['\0']) >= 0)
        {
            throw new ConfigurationException(key, "must not contain NUL characters");
        }

        return Path.GetFullPath(value);
    }
}
