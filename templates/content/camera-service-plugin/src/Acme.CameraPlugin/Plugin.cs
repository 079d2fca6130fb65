using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Acme.CameraPlugin;

/// <summary>
/// The plugin's entry type. The host creates it, checks <see cref="Id"/> against plugin.json and calls
/// <see cref="ConfigureServices"/> once. It registers options and nothing else: the host finds the classes of this
/// assembly that implement a contract (ICameraSource, IStreamBackend, IMediaStore, IApiTransport) by itself and
/// registers each as a singleton.
/// </summary>
public sealed class Plugin : IPlugin
{
    /// <summary>The plugin id: equal to "id" in plugin.json.</summary>
    public const string PluginId = "acme-cameraplugin";

    /// <inheritdoc />
    public string Id => PluginId;

    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);

        // Options bind from the plugin's own section; bad values stop the start with the validator's message.
        services.AddOptions<PluginOptions>().BindConfiguration(PluginOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PluginOptions>, PluginOptionsValidator>();
    }
}

/// <summary>Settings of the plugin, from <c>Plugins:acme-cameraplugin</c> (document every key for your users).</summary>
public sealed class PluginOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Plugins:" + Plugin.PluginId;
#if (kind == "source")

    /// <summary>The cameras, e.g. <c>Plugins:acme-cameraplugin:Cameras:0:Url=rtsp://10.0.0.5/stream1</c>.</summary>
    public List<NetworkCameraOptions> Cameras { get; set; } = [];
#elif (kind == "store")

    /// <summary>Used-space percentage of the media file system at which new writes are refused.</summary>
    public double BlockPercent { get; set; } = 95;
#elif (kind == "transport")

    /// <summary>The address the listener binds to.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The TCP port (0 = a free port, shown in the transport's addresses).</summary>
    public int Port { get; set; } = 8010;
#endif
}
#if (kind == "source")

/// <summary>One configured network camera.</summary>
public sealed class NetworkCameraOptions
{
    /// <summary>The name shown to users.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The stream address (rtsp, rtsps, http or https), without credentials.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>The user name for the camera, if it needs one.</summary>
    public string? UserName { get; set; }

    /// <summary>The password for the camera, if it needs one.</summary>
    public string? Password { get; set; }

    /// <summary>The video codec the camera sends (a fourcc of <c>PixelFormats</c>, e.g. H264).</summary>
    public string Codec { get; set; } = "H264";

    /// <summary>Frame width in pixels, 0 when unknown.</summary>
    public int Width { get; set; }

    /// <summary>Frame height in pixels, 0 when unknown.</summary>
    public int Height { get; set; }

    /// <summary>Frames per second, 0 when unknown.</summary>
    public double FrameRate { get; set; }
}
#endif

/// <summary>Refuses settings the plugin cannot work with, naming the key.</summary>
internal sealed class PluginOptionsValidator : IValidateOptions<PluginOptions>
{
    public ValidateOptionsResult Validate(string? name, PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
#if (kind == "source")
        for (var i = 0; i < options.Cameras.Count; i++)
        {
            var camera = options.Cameras[i];
            var key = $"{PluginOptions.SectionName}:Cameras:{i}";
            if (string.IsNullOrWhiteSpace(camera.Name))
            {
                errors.Add($"{key}:Name is required.");
            }

            if (!Uri.TryCreate(camera.Url, UriKind.Absolute, out var url) || url.Scheme is not ("rtsp" or "rtsps" or "http" or "https"))
            {
                errors.Add($"{key}:Url must be an rtsp, rtsps, http or https address (got '{camera.Url}').");
            }
            else if (url.UserInfo.Length > 0)
            {
                errors.Add($"{key}:Url must not contain credentials; set {key}:UserName and {key}:Password instead.");
            }

            if (camera.Width < 0 || camera.Height < 0 || camera.FrameRate < 0)
            {
                errors.Add($"{key}: Width, Height and FrameRate must not be negative.");
            }
        }
#elif (kind == "store")
        if (options.BlockPercent is <= 0 or > 100)
        {
            errors.Add($"{PluginOptions.SectionName}:BlockPercent must be above 0 and at most 100 (got {options.BlockPercent}).");
        }
#elif (kind == "transport")
        if (!System.Net.IPAddress.TryParse(options.BindAddress, out _))
        {
            errors.Add($"{PluginOptions.SectionName}:BindAddress must be an IP address such as 127.0.0.1 or 0.0.0.0 (got '{options.BindAddress}').");
        }

        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"{PluginOptions.SectionName}:Port must be between 0 and 65535 (got {options.Port}).");
        }
#endif
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
