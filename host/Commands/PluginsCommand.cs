using System.Text;
using CameraService.Core.Plugins;
using CameraService.Host.Configuration;
using CameraService.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Host.Commands;

/// <summary><c>camera-service plugins</c>: the plugin table (id, version, state, contracts, reason).</summary>
internal static class PluginsCommand
{
    public static int Run(string? configPath, IReadOnlyList<string> extra)
    {
        var configuration = ConfigurationFactory.Build(configPath, extra);
        var settings = HostSettings.Read(configuration);
        var catalog = new PluginLoader(configuration).LoadAll(settings.PluginsDirectory, new ServiceCollection());
        Console.WriteLine($"Plugins in {settings.PluginsDirectory}:");
        Console.Write(FormatTable(catalog));
        return ExitCodes.Success;
    }

    internal static string FormatTable(PluginCatalog catalog)
    {
        var rows = catalog.Plugins
            .Select(p => new[] { p.Id, p.Version, p.State.ToString(), string.Join(", ", p.Contracts), p.Reason ?? string.Empty })
            .ToList();
        string[] header = ["ID", "VERSION", "STATE", "CONTRACTS", "REASON"];
        var widths = Enumerable.Range(0, header.Length - 1)
            .Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max())
            .ToArray();
        var sb = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            for (var i = 0; i < row.Length - 1; i++)
            {
                sb.Append(row[i].PadRight(widths[i] + 2));
            }

            sb.AppendLine(row[^1]);
        }

        if (rows.Count == 0)
        {
            sb.AppendLine("(no plugin folders found)");
        }

        return sb.ToString();
    }
}
