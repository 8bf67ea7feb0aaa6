#include "app/audio_import.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "app/durable_file.hpp"
#include "media/audio_player.hpp"

namespace parley::app {
namespace {

bool safe_file_name(const std::string& name) {
  return !name.empty() && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
         });
}

}  // namespace

Result<ImportedAudio> import_audio(const std::string& data_dir, const std::string& name,
                                   const std::string& source) {
  if (!safe_file_name(name)) return make_error(0, "bad name for an imported sound: " + name);
  auto clip = media::AudioClip::load(source);
  if (!clip) return clip.error();
  std::error_code error;
  const std::filesystem::path folder =
      std::filesystem::absolute(std::filesystem::path(data_dir) / "imported-audio", error);
  if (error) return make_error(0, "cannot resolve " + data_dir + ": " + error.message());
  std::filesystem::create_directories(folder, error);
  if (error) return make_error(0, "cannot create " + folder.string() + ": " + error.message());
  const std::filesystem::path path = folder / (name + ".wav");
  const std::vector<std::uint8_t> bytes = media::to_wav_bytes(**clip);
  if (auto written = write_file_durably(path, bytes); !written) return written.error();
  return ImportedAudio{path.string(), (*clip)->sample_rate(), (*clip)->seconds()};
}

}  // namespace parley::app
