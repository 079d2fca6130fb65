using System.Reflection;
using CameraService.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Host.Plugins;

/// <summary>
/// Gives each plugin its own <see cref="IServiceEnvironment"/> through ordinary constructor injection, although all
/// plugins share one service provider: a plugin's registrations that can ask for the environment (factories, and
/// its own classes whose constructors take it) are rewritten to resolve through a provider that answers
/// <see cref="IServiceEnvironment"/> with the plugin's instance and forwards everything else.
/// </summary>
internal static class PluginScopedServices
{
    /// <summary>The registration of the host: resolving <see cref="IServiceEnvironment"/> outside a plugin's own services is a mistake.</summary>
    public static void AddServiceEnvironment(IServiceCollection services) =>
        services.AddSingleton<IServiceEnvironment>(_ => throw new InvalidOperationException(
            "IServiceEnvironment is given to plugin services through their constructors (or their registration factories); " +
            "it cannot be located from the root service provider."));

    /// <summary>The descriptor as registered by the plugin <paramref name="pluginId"/>, bound to that plugin's environment.</summary>
    public static ServiceDescriptor Bind(ServiceDescriptor descriptor, string pluginId, Assembly pluginAssembly)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.IsKeyedService || descriptor.ServiceType.IsGenericTypeDefinition)
        {
            return descriptor;
        }

        if (descriptor.ImplementationFactory is { } factory)
        {
            return new ServiceDescriptor(descriptor.ServiceType, sp => factory(new PluginServiceProvider(sp, pluginId)), descriptor.Lifetime);
        }

        if (descriptor.ImplementationType is { } type && type.Assembly == pluginAssembly && NeedsEnvironment(type))
        {
            return new ServiceDescriptor(
                descriptor.ServiceType,
                sp => ActivatorUtilities.CreateInstance(new PluginServiceProvider(sp, pluginId), type),
                descriptor.Lifetime);
        }

        return descriptor;
    }

    private static bool NeedsEnvironment(Type type) =>
        type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(IServiceEnvironment)));

    /// <summary>Answers <see cref="IServiceEnvironment"/> for one plugin; forwards every other request.</summary>
    private sealed class PluginServiceProvider(IServiceProvider inner, string pluginId) : IServiceProvider, IServiceProviderIsService
    {
        public object? GetService(Type serviceType)
        {
            if (serviceType == typeof(IServiceEnvironment))
            {
                var environments = inner.GetService<PluginEnvironments>()
                    ?? throw new InvalidOperationException($"The plugin '{pluginId}' needs IServiceEnvironment, which this host does not provide.");
                return environments.For(pluginId);
            }

            return serviceType == typeof(IServiceProvider) || serviceType == typeof(IServiceProviderIsService) ? this : inner.GetService(serviceType);
        }

        public bool IsService(Type serviceType) =>
            serviceType == typeof(IServiceEnvironment) || (inner.GetService<IServiceProviderIsService>()?.IsService(serviceType) ?? false);
    }
}
