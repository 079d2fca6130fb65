using System.Reflection;
using System.Runtime.Loader;
using CameraService.Host.Commands;
using CameraService.Tests.Support;

namespace CameraService.Host.Tests;

/// <summary>
/// Every option of every options class — the core's and every in-repo plugin's, found by reflection over the loaded
/// assemblies, so a new options class is covered without touching this file — answers an unparsable value with one
/// line naming the key and the accepted forms, and exit code 2, in <c>config check</c> and in <c>run</c>.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class OptionsBindingTests : IDisposable
{
    private const string BadValue = "bogus";
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ConfigCheck_EveryTimeSpanNumberEnumAndBooleanOption_BadValueIsOneLineNamingKeyAndFormsExit2()
    {
        var options = await DiscoverOptionsAsync();
        Assert.True(options.Count >= 40, $"only {options.Count} options found: " + string.Join(", ", options.Select(o => o.Key)));

        var failures = new List<string>();
        foreach (var (key, type) in options)
        {
            var (exitCode, _, stderr) = await ProgramTests.RunMainAsync(["config", "check", .. Isolated(), $"--{key}={BadValue}"]);
            var expected = $"Configuration error: {key}: must be {AcceptedForms(type)} (got '{BadValue}')";
            // Keys are case-insensitive; a host rule may name the key with the plugin id's casing (Plugins:testpattern:Enabled).
            if (exitCode != 2 || !string.Equals(stderr.TrimEnd(), expected, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{key} ({type.Name}): exit {exitCode}, stderr: {stderr.TrimEnd()}\n    expected: {expected}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {options.Count} options:\n  " + string.Join("\n  ", failures));
    }

    [Fact]
    public async Task Run_OneBadOptionOfEveryOptionsClass_IsOneLineNamingKeyExit2()
    {
        var options = await DiscoverOptionsAsync();
        var firstOfEachClass = options.GroupBy(o => o.Key[..o.Key.LastIndexOf(':')], StringComparer.Ordinal).Select(g => g.First()).ToList();

        var failures = new List<string>();
        foreach (var (key, _) in firstOfEachClass)
        {
            // Bounded: a value that wrongly passed would start the service; the token stops it again.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var (exitCode, _, stderr) = await ProgramTests.CaptureAsync(() => RunCommand.RunAsync(null, [.. Isolated(), $"--{key}={BadValue}"], demo: false, timeout.Token));
            // Configuration keys are case-insensitive: the loader names a plugin's Enabled key by its manifest id
            // (Plugins:mqtt:Enabled), which is the same key as the options class's section spelling (Plugins:Mqtt).
            if (exitCode != 2 || !stderr.StartsWith($"Configuration error: {key}: must be ", StringComparison.OrdinalIgnoreCase) || stderr.TrimEnd().Contains('\n', StringComparison.Ordinal))
            {
                failures.Add($"{key}: exit {exitCode}, stderr: {stderr.TrimEnd()}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("Api:PingInterval", "20s")]
    [InlineData("Api:PingInterval", "00:00:20")]
    [InlineData("Storage:RetentionInterval", "5m")]
    public async Task ConfigCheck_DurationWithUnitOrClock_IsValid(string key, string value)
    {
        var (exitCode, stdout, stderr) = await ProgramTests.RunMainAsync(["config", "check", .. Isolated(), $"--{key}={value}"]);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"  {key} = {value}", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigCheck_BareNumberDuration_IsRefusedNotReadAsDays()
    {
        var (exitCode, _, stderr) = await ProgramTests.RunMainAsync(["config", "check", .. Isolated(), "--Api:PingInterval=30"]);

        Assert.Equal(2, exitCode);
        Assert.Equal("Configuration error: Api:PingInterval: must be a duration such as 30s, 500ms, 5m, 2h, 1d or 00:00:30 (got '30')", stderr.TrimEnd());
    }

    /// <summary>
    /// The options of the core and of every in-repo plugin: each class named <c>*Options</c> with a <c>SectionName</c>
    /// constant in a CameraService assembly loaded by a <c>config check</c> run (the plugins load into their own
    /// contexts), nested option classes and dictionaries of them included.
    /// </summary>
    private async Task<List<(string Key, Type Type)>> DiscoverOptionsAsync()
    {
        var (exitCode, _, stderr) = await ProgramTests.RunMainAsync(["config", "check", .. Isolated()]);
        Assert.True(exitCode == 0, "the default configuration with every in-repo plugin must be valid: " + stderr);

        var found = new SortedDictionary<string, Type>(StringComparer.Ordinal);
        var assemblies = AssemblyLoadContext.All.SelectMany(c => c.Assemblies)
            .Where(a => a.GetName().Name is { } n && n.StartsWith("CameraService.", StringComparison.Ordinal) && !n.Contains("Tests", StringComparison.Ordinal))
            .DistinctBy(a => a.GetName().Name);
        foreach (var assembly in assemblies)
        {
            foreach (var type in assembly.GetTypes().Where(t => t.IsClass && t.Name.EndsWith("Options", StringComparison.Ordinal)))
            {
                if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue() is string { Length: > 0 } section)
                {
                    Collect(type, section, found, depth: 0);
                }
            }
        }

        return found.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    private static void Collect(Type type, string prefix, SortedDictionary<string, Type> found, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
        {
            var key = $"{prefix}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType == typeof(TimeSpan) || propertyType == typeof(bool) || propertyType.IsEnum
                || propertyType == typeof(int) || propertyType == typeof(long) || propertyType == typeof(double) || propertyType == typeof(float) || propertyType == typeof(decimal))
            {
                found[key] = propertyType;
            }
            else if (depth < 3 && propertyType.IsClass && propertyType.Name.EndsWith("Options", StringComparison.Ordinal))
            {
                Collect(propertyType, key, found, depth + 1);
            }
            else if (depth < 3 && IsDictionary(propertyType) && propertyType.GetGenericArguments() is [var keyType, var valueType]
                     && keyType == typeof(string) && valueType.IsClass && valueType != typeof(string))
            {
                Collect(valueType, key + ":any", found, depth + 1);
            }
        }
    }

    private static bool IsDictionary(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d
        && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>));

    /// <summary>The accepted forms the documentation promises for each kind of option (docs/configuration.md).</summary>
    private static string AcceptedForms(Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => "a duration such as 30s, 500ms, 5m, 2h, 1d or 00:00:30",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "a whole number, e.g. 10",
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
        _ => "a number, e.g. 2.5",
    };

    /// <summary>Keeps the run away from /etc/camera-service and the machine's folders; loads the in-repo plugins.</summary>
    private string[] Isolated() =>
    [
        "--config", Directory.CreateDirectory(_temp.Combine("etc")).FullName,
        $"--Plugins:Directory={Path.Combine(RepositoryPaths.HostOutput, "plugins")}",
        $"--State:Directory={_temp.Combine("state")}",
        $"--Storage:Root={_temp.Combine("media")}",
    ];
}
