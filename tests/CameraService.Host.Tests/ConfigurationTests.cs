using CameraService.Host.Configuration;
using CameraService.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace CameraService.Host.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Build_ConfigFile_IsRead()
    {
        var file = _temp.Combine("camera.json");
        File.WriteAllText(file, """{ "Host": { "ShutdownTimeout": "12s" } }""");

        var configuration = ConfigurationFactory.Build(file, []);

        Assert.Equal("12s", configuration["Host:ShutdownTimeout"]);
        Assert.Equal(TimeSpan.FromSeconds(12), HostSettings.Read(configuration).ShutdownTimeout);
    }

    [Fact]
    public void Build_ConfigFolder_ReadsEveryJsonFileInNameOrder()
    {
        File.WriteAllText(_temp.Combine("10-base.json"), """{ "Api": { "Port": 1, "PublicBaseUrl": "http://base" } }""");
        File.WriteAllText(_temp.Combine("20-site.json"), """{ "Api": { "Port": 2 } }""");
        File.WriteAllText(_temp.Combine("notes.txt"), "not configuration");

        var configuration = ConfigurationFactory.Build(_temp.Path, []);

        Assert.Equal("2", configuration["Api:Port"]);
        Assert.Equal("http://base", configuration["Api:PublicBaseUrl"]);
    }

    [Fact]
    public void Build_CommandLine_OverridesFile()
    {
        File.WriteAllText(_temp.Combine("10-base.json"), """{ "Api": { "Port": 1 } }""");

        var configuration = ConfigurationFactory.Build(_temp.Path, ["--Api:Port=3"]);

        Assert.Equal("3", configuration["Api:Port"]);
    }

    [Fact]
    public void Build_MalformedJsonFile_FailsNamingTheFile()
    {
        var file = _temp.Combine("broken.json");
        File.WriteAllText(file, "{ \"Api\": ");

        var ex = Assert.ThrowsAny<Exception>(() => ConfigurationFactory.Build(file, []));

        Assert.Contains("broken.json", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NoConfiguration_HasDefaultsForEveryHostPath()
    {
        var configuration = ConfigurationFactory.Build(_temp.Path, []);

        var settings = HostSettings.Read(configuration);

        Assert.True(Path.IsPathRooted(settings.StateDirectory));
        Assert.True(Path.IsPathRooted(settings.StorageRoot));
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "plugins"), settings.PluginsDirectory);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.ShutdownTimeout);
    }

    [Theory]
    [InlineData("00:00:30", 30_000)]
    [InlineData("30s", 30_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5m", 90_000)]
    [InlineData("2h", 7_200_000)]
    public void TryParseDuration_ValidText_Parses(string text, int milliseconds)
    {
        Assert.True(HostSettings.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("soon")]
    [InlineData("-5s")]
    [InlineData("5 parsecs")]
    public void TryParseDuration_InvalidText_IsRejected(string text) =>
        Assert.False(HostSettings.TryParseDuration(text, out _));

    [Theory]
    [InlineData("", "State:Directory")]
    [InlineData("   ", "State:Directory")]
    public void Read_EmptyStateDirectory_FailsNamingTheKey(string value, string key)
    {
        var configuration = ConfigurationFactory.Build(_temp.Path, [$"--{key}={value}"]);

        var ex = Assert.Throws<ConfigurationException>(() => HostSettings.Read(configuration));

        Assert.Equal($"{key}: must be a folder path", ex.Message);
    }

    [Theory]
    [InlineData("Auth:JwtSecret", "abc", "***")]
    [InlineData("Auth:ApiKeys:0", "abc", "***")]
    [InlineData("Api:TlsCertificatePassword", "abc", "***")]
    [InlineData("Api:TlsKeyPath", "/etc/key.pem", "/etc/key.pem")]
    [InlineData("Api:Port", "8002", "8002")]
    [InlineData("Auth:JwtSecret", "", "")]
    public void Redact_SecretLookingKeys_AreHidden(string key, string value, string expected) =>
        Assert.Equal(expected, Commands.ConfigCheckCommand.Redact(key, value));
}
