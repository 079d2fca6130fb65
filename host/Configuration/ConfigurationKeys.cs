namespace CameraService.Host.Configuration;

/// <summary>
/// The configuration keys the host itself reads. docs/configuration.md documents each of them; a test keeps
/// the two in step (every <c>const string</c> here must appear in a docs/*.md table).
/// </summary>
internal static class ConfigurationKeys
{
    public const string StateDirectory = "State:Directory";
    public const string StorageRoot = "Storage:Root";
    public const string PluginsDirectory = "Plugins:Directory";
    public const string ShutdownTimeout = "Host:ShutdownTimeout";

    /// <summary>The box's id in a fleet (the fleet plugin's key), told to every plugin as <c>IServiceEnvironment.NodeId</c>.</summary>
    public const string NodeId = "Fleet:NodeId";

    /// <summary>Per plugin; <c>&lt;Id&gt;</c> is the plugin id.</summary>
    public const string PluginEnabled = "Plugins:<Id>:Enabled";

    public const string LogLevel = "Logging:LogLevel:<Category>";

    /// <summary>auto (default), json, text or systemd.</summary>
    public const string LogFormat = "Logging:Format";

    /// <summary>Identical warnings/errors within this window are written once (0 turns suppression off).</summary>
    public const string LogRepeatWindow = "Logging:RepeatWindow";

    /// <summary>The key that enables or disables the plugin <paramref name="id"/>.</summary>
    public static string PluginEnabledKey(string id) => PluginEnabled.Replace("<Id>", id, StringComparison.Ordinal);
}
