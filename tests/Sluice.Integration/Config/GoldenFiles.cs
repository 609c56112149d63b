using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Config;

/// <summary>
/// Golden outputs kept beside the configurations they belong to. With SLUICE_UPDATE_GOLDEN=1 a test
/// rewrites its golden file in the source tree instead of comparing, so that a deliberate change of
/// output is one command and a reviewed diff.
/// </summary>
internal static class GoldenFiles
{
    public static string ConfigsDirectory => Path.Combine(AppContext.BaseDirectory, "Configs");

    public static IEnumerable<object[]> Cases(string folder) =>
        Directory.GetFiles(Path.Combine(ConfigsDirectory, folder), "*.cfg")
            .Select(Path.GetFileNameWithoutExtension)
            .Order(StringComparer.Ordinal)
            .Select(name => new object[] { name! });

    public static void AssertMatches(string folder, string fileName, string actual)
    {
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("SLUICE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceDirectory(), folder, fileName), actual);
            return;
        }

        var path = Path.Combine(ConfigsDirectory, folder, fileName);
        Assert.True(File.Exists(path), $"missing golden file {folder}/{fileName}; run with SLUICE_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    private static string SourceDirectory() => RepositoryFiles.Path("tests", "Sluice.Integration", "Configs");
}
