// Typed reads and writes of domain rows (repository.h): each record's field map, load by id or by a
// condition, and saves that write only the fields that changed.

#include "berth/schema/repository.h"

#include <sodium.h>

#include <type_traits>

#include "berth/schema/ids.h"

namespace berth {

namespace {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// Record member -> column value.
struct ToValueVisitor {
  Fields* out;
  template <class M>
  void operator()(const char* name, const M& m) {
    (*out)[name] = Convert(m);
  }
  template <class M>
  static Value Convert(const M& m) {
    if constexpr (std::is_same_v<M, std::string>) {
      return m;
    } else if constexpr (std::is_same_v<M, bool>) {
      return int64_t{m ? 1 : 0};
    } else if constexpr (std::is_same_v<M, int64_t>) {
      return m;
    } else if constexpr (std::is_same_v<M, double>) {
      return m;
    } else if constexpr (std::is_enum_v<M>) {
      return std::string(ToString(m));
    } else if constexpr (IsOptional<M>::value) {
      if constexpr (std::is_same_v<typename M::value_type, double>) {
        return m ? Value(*m) : Value(std::monostate{});
      } else {
        return m ? std::string(ToString(*m)) : std::string();
      }
    } else if constexpr (IsVector<M>::value) {
      return JoinCodes(m);
    } else {
      static_assert(sizeof(M) == 0, "no column mapping for this member type");
    }
  }
};

// Column (by position) -> record member. Columns are selected in VisitFields order after `id`.
struct FromColumnVisitor {
  const Statement* st;
  int column = 1;
  Status error;
  template <class M>
  void operator()(const char* name, M& m) {
    const int c = column++;
    if constexpr (std::is_same_v<M, std::string>) {
      m = st->Text(c);
    } else if constexpr (std::is_same_v<M, bool>) {
      m = st->Int(c) != 0;
    } else if constexpr (std::is_same_v<M, int64_t>) {
      m = st->Int(c);
    } else if constexpr (std::is_same_v<M, double>) {
      m = st->Real(c);
    } else if constexpr (std::is_enum_v<M>) {
      auto v = FromString<M>(st->Text(c));
      if (v.ok()) {
        m = *v;
      } else {
        Fail(name, v.status());
      }
    } else if constexpr (IsOptional<M>::value) {
      using E = typename M::value_type;
      if constexpr (std::is_same_v<E, double>) {
        m = st->IsNull(c) ? std::nullopt : std::optional<double>(st->Real(c));
      } else {
        const std::string text = st->Text(c);
        if (text.empty()) {
          m.reset();
        } else if (auto v = FromString<E>(text); v.ok()) {
          m = *v;
        } else {
          Fail(name, v.status());
        }
      }
    } else if constexpr (IsVector<M>::value) {
      auto v = SplitCodes<typename M::value_type>(st->Text(c));
      if (v.ok()) {
        m = std::move(*v);
      } else {
        Fail(name, v.status());
      }
    } else {
      static_assert(sizeof(M) == 0, "no column mapping for this member type");
    }
  }
  void Fail(const char* name, const Status& cause) {
    // The CHECK constraints keep bad codes out, so one here means the table was changed behind Berth.
    if (error.ok()) error = IntegrityError(std::string("column ") + name + ": " + cause.message());
  }
};

template <class T>
Fields FieldsOf(const T& r) {
  T copy = r;
  Fields out;
  copy.VisitFields(ToValueVisitor{&out});
  return out;
}

template <class T>
const std::string& ColumnList() {
  static const std::string list = [] {
    std::string s = "id";
    T probe;
    probe.VisitFields([&s](const char* name, auto&) { s += std::string(", \"") + name + "\""; });
    return s;
  }();
  return list;
}

template <class T>
Result<T> ReadRow(const Statement& st) {
  T r;
  r.id = st.Text(0);
  FromColumnVisitor v{&st};
  r.VisitFields(v);
  if (!v.error.ok()) return v.error.Context(std::string(T::kTable) + " " + r.id);
  return r;
}

// Loads live rows: `tail` follows "WHERE deleted = 0" (more conditions with ?1.., then ORDER BY).
template <class T>
Result<std::vector<T>> LoadWhere(Db& db, const std::string& tail, const std::vector<std::string>& args = {}) {
  BERTH_ASSIGN_OR_RETURN(Statement st, db.Cached("SELECT " + ColumnList<T>() + " FROM \"" + T::kTable +
                                                 "\" WHERE deleted = 0 " + tail));
  for (size_t i = 0; i < args.size(); ++i) st.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<T> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    BERTH_ASSIGN_OR_RETURN(T r, ReadRow<T>(st));
    out.push_back(std::move(r));
  }
  return out;
}

template <class T>
Result<T> LoadOne(Db& db, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(std::vector<T> rows, LoadWhere<T>(db, "AND id = ?1", {id}));
  if (rows.empty()) return NotFound(std::string("no ") + T::kTable + " with id " + id);
  return std::move(rows.front());
}

template <class T>
Status SaveRecord(Store& store, const T& r) {
  if (r.id.empty()) return BadInput(std::string("a ") + T::kTable + " record needs an id");
  Mutation m;
  m.kind = MutationKind::kUpsert;
  m.entity = T::kTable;
  m.row_id = r.id;
  m.fields = FieldsOf(r);
  return store.Write(std::move(m));
}

template <class T>
Result<SaveOutcome> SaveRecordChanges(Store& store, const T& r) {
  if (r.id.empty()) return BadInput(std::string("a ") + T::kTable + " record needs an id");
  Db& db = store.db();
  // Cached: an import or the demo reads every row it saves (FORMAT.md, "Batches").
  BERTH_ASSIGN_OR_RETURN(Statement st, db.Cached("SELECT " + ColumnList<T>() + ", deleted FROM \"" +
                                                 T::kTable + "\" WHERE id = ?"));
  st.Bind(1, r.id);
  BERTH_ASSIGN_OR_RETURN(bool exists, st.Step());
  if (!exists) {
    BERTH_RETURN_IF_ERROR(SaveRecord(store, r));
    return SaveOutcome::kCreated;
  }
  const int deleted_column = st.ColumnCount() - 1;
  if (st.Int(deleted_column) != 0) {
    return ConflictError(std::string("this ") + T::kTable +
                         " was deleted in Berth and is not revived by a save");
  }
  BERTH_ASSIGN_OR_RETURN(T old, ReadRow<T>(st));
  const Fields before = FieldsOf(old);
  Mutation m;
  m.kind = MutationKind::kUpsert;
  m.entity = T::kTable;
  m.row_id = r.id;
  for (auto& [name, value] : FieldsOf(r)) {
    auto it = before.find(name);
    if (it == before.end() || it->second != value) m.fields.emplace(name, std::move(value));
  }
  if (m.fields.empty()) return SaveOutcome::kUnchanged;
  BERTH_RETURN_IF_ERROR(store.Write(std::move(m)));
  return SaveOutcome::kUpdated;
}

}  // namespace

Fields ToFields(const Provider& r) {
  return FieldsOf(r);
}
Fields ToFields(const ProviderAdmissions& r) {
  return FieldsOf(r);
}
Fields ToFields(const Bed& r) {
  return FieldsOf(r);
}
Fields ToFields(const HomecareCapacity& r) {
  return FieldsOf(r);
}
Fields ToFields(const Referral& r) {
  return FieldsOf(r);
}
Fields ToFields(const Offer& r) {
  return FieldsOf(r);
}
Fields ToFields(const Placement& r) {
  return FieldsOf(r);
}
Fields ToFields(const Handback& r) {
  return FieldsOf(r);
}
Fields ToFields(const ReferralDateChange& r) {
  return FieldsOf(r);
}
Fields ToFields(const ReferralNote& r) {
  return FieldsOf(r);
}

Status Save(Store& store, const Provider& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const ProviderAdmissions& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const Bed& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const HomecareCapacity& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const Referral& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const Offer& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const Placement& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const Handback& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const ReferralDateChange& r) {
  return SaveRecord(store, r);
}
Status Save(Store& store, const ReferralNote& r) {
  return SaveRecord(store, r);
}

Result<SaveOutcome> SaveChanges(Store& store, const Provider& r) {
  return SaveRecordChanges(store, r);
}
Result<SaveOutcome> SaveChanges(Store& store, const ProviderAdmissions& r) {
  return SaveRecordChanges(store, r);
}
Result<SaveOutcome> SaveChanges(Store& store, const Bed& r) {
  return SaveRecordChanges(store, r);
}
Result<SaveOutcome> SaveChanges(Store& store, const HomecareCapacity& r) {
  return SaveRecordChanges(store, r);
}
Result<SaveOutcome> SaveChanges(Store& store, const Referral& r) {
  return SaveRecordChanges(store, r);
}

Status Remove(Store& store, std::string_view table, const std::string& id) {
  Mutation m;
  m.kind = MutationKind::kDelete;
  m.entity = std::string(table);
  m.row_id = id;
  return store.Write(std::move(m));
}

Result<std::vector<Provider>> LoadProviders(Db& db) {
  return LoadWhere<Provider>(db, "ORDER BY name, id");
}
Result<Provider> LoadProvider(Db& db, const std::string& id) {
  return LoadOne<Provider>(db, id);
}
Result<std::optional<Provider>> FindProviderByCqcId(Db& db, std::string_view cqc_location_id) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> rows,
                         LoadWhere<Provider>(db, "AND cqc_location_id = ?1 ORDER BY id LIMIT 1",
                                             {std::string(cqc_location_id)}));
  if (rows.empty()) return std::optional<Provider>();
  return std::optional<Provider>(std::move(rows.front()));
}
// The typed loaders: one line a record and query, each naming its order. Alike by design (the public API
// is typed; LoadWhere/LoadOne above hold the one implementation).
Result<std::vector<ProviderAdmissions>> LoadAdmissions(Db& db) {
  return LoadWhere<ProviderAdmissions>(db, "ORDER BY provider_id, category");
}
Result<std::vector<Bed>> LoadBeds(Db& db) {
  return LoadWhere<Bed>(db, "ORDER BY provider_id, room, id");
}
Result<std::vector<Bed>> LoadBedsOfProvider(Db& db, const std::string& provider_id) {
  return LoadWhere<Bed>(db, "AND provider_id = ?1 ORDER BY room, id", {provider_id});
}
Result<Bed> LoadBed(Db& db, const std::string& id) {
  return LoadOne<Bed>(db, id);
}
Result<std::vector<HomecareCapacity>> LoadHomecareCapacity(Db& db) {
  return LoadWhere<HomecareCapacity>(db, "ORDER BY provider_id, zone, band, id");
}
Result<HomecareCapacity> LoadHomecareCapacityRow(Db& db, const std::string& id) {
  return LoadOne<HomecareCapacity>(db, id);
}
Result<std::vector<Referral>> LoadReferrals(Db& db) {
  return LoadWhere<Referral>(db, "ORDER BY discharge_ready_date, id");
}
Result<Referral> LoadReferral(Db& db, const std::string& id) {
  return LoadOne<Referral>(db, id);
}
Result<std::vector<Offer>> LoadOffers(Db& db) {
  return LoadWhere<Offer>(db, "ORDER BY referral_id, sent_at, id");
}
Result<std::vector<Offer>> LoadOffersForReferral(Db& db, const std::string& referral_id) {
  return LoadWhere<Offer>(db, "AND referral_id = ?1 ORDER BY sent_at, id", {referral_id});
}
Result<Offer> LoadOffer(Db& db, const std::string& id) {
  return LoadOne<Offer>(db, id);
}
Result<std::vector<Placement>> LoadPlacements(Db& db) {
  return LoadWhere<Placement>(db, "ORDER BY start_date, id");
}
Result<Placement> LoadPlacement(Db& db, const std::string& id) {
  return LoadOne<Placement>(db, id);
}
Result<std::vector<Placement>> LoadPlacementsOfBed(Db& db, const std::string& bed_id) {
  return LoadWhere<Placement>(db, "AND bed_id = ?1 ORDER BY start_date, id", {bed_id});
}
Result<std::vector<Placement>> LoadPlacementsOfReferral(Db& db, const std::string& referral_id) {
  return LoadWhere<Placement>(db, "AND referral_id = ?1 ORDER BY start_date, id", {referral_id});
}
Result<std::vector<Placement>> LoadPlacementsOfCapacity(Db& db, const std::string& capacity_id) {
  return LoadWhere<Placement>(db, "AND homecare_capacity_id = ?1 ORDER BY start_date, id", {capacity_id});
}
Result<std::vector<Handback>> LoadHandbacks(Db& db) {
  return LoadWhere<Handback>(db, "ORDER BY notice_date, id");
}
Result<std::vector<ReferralDateChange>> LoadDateChanges(Db& db, const std::string& referral_id) {
  return LoadWhere<ReferralDateChange>(db, "AND referral_id = ?1 ORDER BY changed_at, id", {referral_id});
}
Result<std::vector<ReferralNote>> LoadNotes(Db& db, const std::string& referral_id) {
  return LoadWhere<ReferralNote>(db, "AND referral_id = ?1 ORDER BY written_at, id", {referral_id});
}
Result<ReferralNote> LoadNote(Db& db, const std::string& id) {
  return LoadOne<ReferralNote>(db, id);
}
Result<std::vector<Handback>> LoadHandbacksOfReferral(Db& db, const std::string& referral_id) {
  return LoadWhere<Handback>(db, "AND referral_id = ?1 ORDER BY notice_date, id", {referral_id});
}

Result<int64_t> CountLive(Db& db, std::string_view table) {
  for (char c : table) {
    if (!(c == '_' || (c >= 'a' && c <= 'z'))) return BadInput("not a table name");
  }
  return db.QueryInt("SELECT count(*) FROM \"" + std::string(table) + "\" WHERE deleted = 0");
}

std::string StableId(std::string_view kind, std::string_view key) {
  const std::string input = "berth:" + std::string(kind) + ":" + std::string(key);
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(input.data()), input.size(), nullptr,
                     0);
  h[6] = static_cast<unsigned char>((h[6] & 0x0f) | 0x80);  // version 8: custom
  h[8] = static_cast<unsigned char>((h[8] & 0x3f) | 0x80);  // RFC 9562 variant
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[h[i] >> 4];
    out += kHex[h[i] & 15];
  }
  return out;
}

std::string AdmissionsId(const std::string& provider_id, std::optional<BedCategory> category) {
  return provider_id + "/" + std::string(category ? ToString(*category) : std::string_view("all"));
}

}  // namespace berth
