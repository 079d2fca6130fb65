using System.Xml.Linq;
using CameraService.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CameraService.Architecture.Tests;

/// <summary>
/// "A plugin reads its own configuration section and IServiceEnvironment — never another component's keys"
/// (docs/plugins.md). Finds every configuration read in the sources of each plugin (and of the core) — an indexer,
/// <c>GetSection</c>, <c>GetValue</c>, <c>BindConfiguration</c> … whose key is a constant — and fails on a key outside
/// the reader's own sections. A plugin's own sections are <c>Plugins:&lt;PluginId&gt;</c> and the value of every
/// <c>SectionName</c> constant it declares (the websocket plugin's <c>Api</c>, the storage plugin's <c>Storage</c>, the
/// fleet plugin's <c>Fleet</c>, kept from before plugins had a <c>Plugins:&lt;Id&gt;</c> section).
/// </summary>
public sealed class ConfigurationOwnershipTests
{
    /// <summary>The core's sections besides its options classes' SectionName values (docs/configuration.md).</summary>
    private static readonly string[] CoreSections = ["CameraService", "State", "Metrics", "Alerts", "Snapshots"];

    /// <summary>The top-level sections of the documented keys (Api, Plugins, Storage, …): a key read relative to a sub-section (<c>section["Cameras"]</c>) is none of them.</summary>
    private static readonly Lazy<HashSet<string>> KnownSections = new(() =>
        ConfigurationDocsTests.DocumentedKeys().Select(k => k.Split(':')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase));

    private static readonly HashSet<string> ReadMethods = new(StringComparer.Ordinal)
    {
        "GetSection", "GetRequiredSection", "GetValue", "BindConfiguration", "GetConnectionString",
    };

    public static TheoryData<string> PluginProjects() => DependencyRuleTests.PluginProjects();

    [Theory]
    [MemberData(nameof(PluginProjects))]
    public void Plugin_ReadsOnlyItsOwnConfigurationSections(string projectFile)
    {
        var plugin = new ProductProject("plugin", Path.Combine(RepositoryPaths.Root, projectFile));
        var id = plugin.Xml.Descendants("PluginId").Select(e => e.Value.Trim()).First();
        var sources = SourcesOf(plugin);
        var own = SectionNames(sources).Append("Plugins:" + id).ToList();

        AssertOnlyOwn(plugin.ToString(), sources, own);
    }

    [Fact]
    public void Core_ReadsNoPluginsConfigurationSection()
    {
        var sources = SourcesOf(ProjectGraph.Core);
        var own = SectionNames(sources).Concat(CoreSections).ToList();

        AssertOnlyOwn(ProjectGraph.Core.ToString(), sources, own);
    }

    [Fact]
    public void Reads_FindsIndexersSectionsConstantsAndInterpolations()
    {
        const string code = """
            class Options { public const string SectionName = "Plugins:Mine"; const string Other = "Fleet:NodeId"; }
            class Reader
            {
                void Read(IConfiguration configuration, IServiceCollection services)
                {
                    _ = configuration["Api:Path"];
                    _ = configuration[Options.SectionName + ":Cameras"];
                    _ = configuration[$"{Options.SectionName}:Role"];
                    _ = configuration.GetSection("CameraService")["MediaStore"];
                    _ = configuration.GetValue<int>(Other);
                    _ = configuration.GetValue("Alerts:MinimumRequests", 20);
                    services.AddOptions<Options>().BindConfiguration("Storage");
                    _ = json["name"];
                    _ = Describe("State:Directory: must be a folder path");
                }
            }
            """;
        var tree = CSharpSyntaxTree.ParseText(code);

        var keys = Reads([tree]).Select(r => r.Key).ToList();

        Assert.Equal(
            ["Api:Path", "Plugins:Mine:Cameras", "Plugins:Mine:Role", "CameraService:MediaStore", "CameraService", "Fleet:NodeId", "Alerts:MinimumRequests", "Storage"],
            keys);
        Assert.Equal(["Plugins:Mine"], SectionNames([tree]));
    }

    private static void AssertOnlyOwn(string reader, IReadOnlyList<SyntaxTree> sources, IReadOnlyList<string> own)
    {
        var foreign = Reads(sources).Where(r => !own.Any(o => IsWithin(r.Key, o))).Select(r => $"{r.Key} at {r.Where}").Distinct().ToList();

        Assert.True(foreign.Count == 0,
            $"{reader} reads configuration keys of other components (its own sections: {string.Join(", ", own)}):\n  " +
            string.Join("\n  ", foreign) +
            "\nAsk IServiceEnvironment instead (docs/plugins.md, \"The service environment\"), or add what is missing to it.");
    }

    private static bool IsWithin(string key, string section) =>
        key.Equals(section, StringComparison.OrdinalIgnoreCase) || key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase);

    /// <summary>The C# files a project compiles: its folder (without bin/obj) and the files it links from elsewhere.</summary>
    private static List<SyntaxTree> SourcesOf(ProductProject project)
    {
        var files = Directory.EnumerateFiles(project.Folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(project.Folder, f).Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            .ToList();
        foreach (var include in XDocument.Load(project.ProjectFile).Descendants("Compile").Select(e => (string?)e.Attribute("Include")).OfType<string>())
        {
            var path = Path.GetFullPath(Path.Combine(project.Folder, include.Replace('\\', '/')));
            if (include.Contains('*', StringComparison.Ordinal))
            {
                files.AddRange(Directory.EnumerateFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path)));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
        }

        var options = new CSharpParseOptions(LanguageVersion.Preview);
        return files.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), options, Path.GetRelativePath(RepositoryPaths.Root, f)))
            .ToList();
    }

    /// <summary>The values of the <c>SectionName</c> constants declared in the sources.</summary>
    private static List<string> SectionNames(IReadOnlyList<SyntaxTree> sources)
    {
        var constants = Constants(sources);
        return constants.Where(c => c.Key == "SectionName" || c.Key.EndsWith(".SectionName", StringComparison.Ordinal))
            .Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every configuration read whose key is a constant: (key, file:line).</summary>
    private static List<(string Key, string Where)> Reads(IReadOnlyList<SyntaxTree> sources)
    {
        var constants = Constants(sources);
        var reads = new List<(string, string)>();
        foreach (var tree in sources)
        {
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                var key = node switch
                {
                    ElementAccessExpressionSyntax access => IndexerKey(access, constants),
                    InvocationExpressionSyntax call => InvocationKey(call, constants),
                    _ => null,
                };
                if (key is not null && KnownSections.Value.Contains(key.Split(':')[0]))
                {
                    reads.Add((key, $"{tree.FilePath}:{node.GetLocation().GetLineSpan().StartLinePosition.Line + 1}"));
                }
            }
        }

        return reads;
    }

    /// <summary><c>x["Section:Key"]</c>; on <c>GetSection("A")</c> the key is <c>A:Key</c>. Keys without a section (JSON member names) are not configuration.</summary>
    private static string? IndexerKey(ElementAccessExpressionSyntax access, IReadOnlyDictionary<string, string> constants)
    {
        if (access.ArgumentList.Arguments.Count != 1 || Evaluate(access.ArgumentList.Arguments[0].Expression, constants) is not { } key)
        {
            return null;
        }

        if (access.Expression is InvocationExpressionSyntax call && InvocationKey(call, constants) is { } section)
        {
            return section + ":" + key;
        }

        return IsSectionPath(key) && key.Contains(':', StringComparison.Ordinal) ? key : null;
    }

    /// <summary><c>GetSection("A")</c>, <c>GetValue&lt;T&gt;("A:B")</c>, <c>BindConfiguration("A")</c> … with a constant key.</summary>
    private static string? InvocationKey(InvocationExpressionSyntax call, IReadOnlyDictionary<string, string> constants)
    {
        var name = call.Expression switch
        {
            MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            _ => null,
        };
        if (name is null || !ReadMethods.Contains(name))
        {
            return null;
        }

        return call.ArgumentList.Arguments
            .Select(a => Evaluate(a.Expression, constants))
            .FirstOrDefault(v => v is not null && IsSectionPath(v));
    }

    /// <summary><c>Api</c>, <c>Plugins:V4l2:Cameras</c>: a configuration path starting with a section name.</summary>
    private static bool IsSectionPath(string value) =>
        value.Length > 0 && char.IsAsciiLetterUpper(value[0])
        && value.Split(':').All(part => part.Length > 0 && part.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    /// <summary>The string constants of the sources, by name and by <c>Type.Name</c>.</summary>
    private static Dictionary<string, string> Constants(IReadOnlyList<SyntaxTree> sources)
    {
        var declarations = sources.SelectMany(t => t.GetRoot().DescendantNodes().OfType<FieldDeclarationSyntax>())
            .Where(f => f.Modifiers.Any(SyntaxKind.ConstKeyword))
            .SelectMany(f => f.Declaration.Variables.Select(v => (Field: f, Variable: v)))
            .Where(x => x.Variable.Initializer is not null)
            .ToList();
        var constants = new Dictionary<string, string>(StringComparer.Ordinal);

        // Constants may be built from other constants: evaluate until nothing new turns up.
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (field, variable) in declarations)
            {
                var name = variable.Identifier.ValueText;
                var type = field.Parent is BaseTypeDeclarationSyntax t ? t.Identifier.ValueText + "." + name : name;
                if (!constants.ContainsKey(type) && Evaluate(variable.Initializer!.Value, constants) is { } value)
                {
                    constants[type] = value;
                    constants.TryAdd(name, value);
                    changed = true;
                }
            }
        }

        return constants;
    }

    /// <summary>The value of a constant string expression: literals, constants, <c>+</c> and interpolations of constants.</summary>
    private static string? Evaluate(ExpressionSyntax expression, IReadOnlyDictionary<string, string> constants) => expression switch
    {
        LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression) => literal.Token.ValueText,
        ParenthesizedExpressionSyntax parenthesized => Evaluate(parenthesized.Expression, constants),
        BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression) =>
            Evaluate(binary.Left, constants) is { } left && Evaluate(binary.Right, constants) is { } right ? left + right : null,
        IdentifierNameSyntax identifier => constants.GetValueOrDefault(identifier.Identifier.ValueText),
        MemberAccessExpressionSyntax member => constants.GetValueOrDefault(member.Expression is IdentifierNameSyntax owner
            ? owner.Identifier.ValueText + "." + member.Name.Identifier.ValueText
            : member.Name.Identifier.ValueText),
        InterpolatedStringExpressionSyntax interpolated => EvaluateInterpolation(interpolated, constants),
        _ => null,
    };

    private static string? EvaluateInterpolation(InterpolatedStringExpressionSyntax interpolated, IReadOnlyDictionary<string, string> constants)
    {
        var text = new System.Text.StringBuilder();
        foreach (var content in interpolated.Contents)
        {
            var part = content switch
            {
                InterpolatedStringTextSyntax literal => literal.TextToken.ValueText,
                InterpolationSyntax hole when hole.AlignmentClause is null && hole.FormatClause is null => Evaluate(hole.Expression, constants),
                _ => null,
            };
            if (part is null)
            {
                return null;
            }

            text.Append(part);
        }

        return text.ToString();
    }
}
