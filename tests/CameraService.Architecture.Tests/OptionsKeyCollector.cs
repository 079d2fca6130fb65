using System.Reflection;
using System.Runtime.InteropServices;

namespace CameraService.Architecture.Tests;

/// <summary>What the collector found in one assembly.</summary>
/// <param name="Keys">Configuration keys (<c>Section:Property</c>, nested options as <c>Section:Property:Inner</c>).</param>
/// <param name="MissingSectionName">Options classes that do not follow the SectionName convention.</param>
public sealed record OptionsScan(IReadOnlyList<string> Keys, IReadOnlyList<string> MissingSectionName);

/// <summary>
/// Reads configuration keys out of built assemblies without running them (MetadataLoadContext).
/// The convention: every class named <c>*Options</c> in a CameraService assembly declares
/// <c>public const string SectionName = "Section:Path";</c> (the section it binds from); each of its properties
/// with a setter (<c>set</c> or <c>init</c>) is the key <c>SectionName:Property</c> (or the name given by
/// <c>[ConfigurationKeyName]</c>). A property whose type is another <c>*Options</c> class of the same assembly is
/// a nested section; such nested classes need no SectionName of their own. So is a dictionary property whose
/// values are such a class (<c>IDictionary&lt;string, V4l2CameraOptions&gt; Cameras</c>): its keys are
/// <c>Section:Cameras:&lt;key&gt;:Inner</c>, <see cref="DictionaryKeyPlaceholder"/> standing for the dictionary key.
/// </summary>
public static class OptionsKeyCollector
{
    public const string SectionNameField = "SectionName";

    /// <summary>The key segment standing for the key of a dictionary of nested options.</summary>
    public const string DictionaryKeyPlaceholder = "<key>";

    private static readonly string[] DictionaryTypes =
    [
        "System.Collections.Generic.IDictionary`2",
        "System.Collections.Generic.IReadOnlyDictionary`2",
        "System.Collections.Generic.Dictionary`2",
    ];

    public static OptionsScan Scan(string assemblyPath, params string[] extraAssemblies)
    {
        using var context = CreateContext(assemblyPath, extraAssemblies);
        var assembly = context.LoadFromAssemblyPath(assemblyPath);
        var options = LoadableTypes(assembly)
            .Where(t => t.IsClass && t.Name.EndsWith("Options", StringComparison.Ordinal) && (t.Namespace ?? string.Empty).StartsWith("CameraService", StringComparison.Ordinal))
            .Where(t => !t.Name.StartsWith('<'))
            .ToList();
        var nested = options
            .SelectMany(t => BoundProperties(t))
            .Select(p => NestedOptions(p.PropertyType, options)?.Type)
            .OfType<Type>()
            .ToHashSet();

        var keys = new List<string>();
        var missing = new List<string>();
        foreach (var type in options.Where(t => !nested.Contains(t)))
        {
            var field = type.GetField(SectionNameField, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static);
            if (field is not { IsLiteral: true } || field.GetRawConstantValue() is not string { Length: > 0 } section)
            {
                missing.Add(type.FullName!);
                continue;
            }

            AddKeys(type, section, options, keys, depth: 0);
        }

        return new OptionsScan(keys.Order(StringComparer.Ordinal).ToList(), missing.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>The values of every <c>const string</c> field of <paramref name="typeName"/> in the assembly.</summary>
    public static IReadOnlyList<string> ConstantStrings(string assemblyPath, string typeName, params string[] extraAssemblies)
    {
        using var context = CreateContext(assemblyPath, extraAssemblies);
        var type = context.LoadFromAssemblyPath(assemblyPath).GetType(typeName)
            ?? throw new InvalidOperationException($"{typeName} not found in {assemblyPath}");
        return type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType.FullName == "System.String")
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
    }

    private static void AddKeys(Type type, string prefix, List<Type> options, List<string> keys, int depth)
    {
        foreach (var property in BoundProperties(type))
        {
            var key = $"{prefix}:{KeyName(property)}";
            if (depth < 8 && NestedOptions(property.PropertyType, options) is var (nestedType, keyed))
            {
                AddKeys(nestedType, keyed ? $"{key}:{DictionaryKeyPlaceholder}" : key, options, keys, depth + 1);
            }
            else
            {
                keys.Add(key);
            }
        }
    }

    /// <summary>
    /// The options class a property of this type binds as a nested section: the type itself when it is an options
    /// class, or the value type of a string-keyed dictionary of options (<c>Keyed</c>); null when neither.
    /// </summary>
    private static (Type Type, bool Keyed)? NestedOptions(Type propertyType, List<Type> options)
    {
        if (options.Contains(propertyType))
        {
            return (propertyType, false);
        }

        if (propertyType.IsGenericType
            && DictionaryTypes.Contains(propertyType.GetGenericTypeDefinition().FullName)
            && propertyType.GetGenericArguments() is [{ FullName: "System.String" }, var value]
            && options.Contains(value))
        {
            return (value, true);
        }

        return null;
    }

    private static IEnumerable<PropertyInfo> BoundProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is { IsPublic: true } && p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0);

    private static string KeyName(PropertyInfo property) =>
        property.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "Microsoft.Extensions.Configuration.ConfigurationKeyNameAttribute")
            .Select(a => a.ConstructorArguments[0].Value as string)
            .FirstOrDefault(n => !string.IsNullOrEmpty(n))
        ?? property.Name;

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.Where(t => t is not null)!;
        }
    }

    private static MetadataLoadContext CreateContext(string assemblyPath, string[] extraAssemblies)
    {
        var frameworkDirectories = new[]
        {
            RuntimeEnvironment.GetRuntimeDirectory(),
            Path.GetDirectoryName(typeof(Microsoft.AspNetCore.Http.HttpContext).Assembly.Location)!,
        };
        var paths = frameworkDirectories
            .SelectMany(d => Directory.EnumerateFiles(d, "*.dll"))
            .Concat(Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(assemblyPath))!, "*.dll"))
            .Concat(extraAssemblies)
            .ToList();
        return new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
    }
}
