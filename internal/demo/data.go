package demo

// Word lists of the generator. Names are plain ASCII where they go into an
// email address; the few accented ones have an ASCII spelling for it.

var firstNames = []string{
	"Adam", "Adèle", "Agathe", "Alice", "Amélie", "Anna", "Antoine", "Arthur", "Benjamin", "Camille",
	"Charles", "Chloé", "Clara", "David", "Élodie", "Emma", "Ethan", "Félix", "Gabriel", "Hugo",
	"Inès", "Isabelle", "Jacques", "Jade", "Jean", "Jeanne", "Jules", "Julia", "Julien", "Laura",
	"Léa", "Léon", "Lina", "Louis", "Louise", "Lucas", "Lucie", "Manon", "Marc", "Margaux",
	"Marie", "Martin", "Mathilde", "Maxime", "Nathan", "Nicolas", "Noah", "Olivia", "Oscar", "Paul",
	"Pauline", "Pierre", "Raphaël", "Romain", "Rose", "Sarah", "Sophie", "Thomas", "Victor", "Zoé",
	"Emily", "James", "Olivier", "Hannah", "Daniel", "Grace", "Samuel", "Lily", "Henry", "Ava",
	"Lukas", "Mia", "Felix", "Lena", "Mateo", "Lucía", "Diego", "Sofía", "Marco", "Giulia",
}

var lastNames = []string{
	"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
	"Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
	"Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure", "André",
	"Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
	"Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
	"Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
	"Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
	"Smith", "Johnson", "Williams", "Brown", "Taylor", "Wilson", "Evans", "Schmidt", "Schneider", "Fischer",
	"Rossi", "Russo", "Ferrari", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "O'Brien", "Kowalski",
}

var companyHeads = []string{
	"Alpine", "Atlas", "Azur", "Blue Harbor", "Bright", "Cedar", "Cobalt", "Crescent", "Delta", "Emerald",
	"Everest", "Falcon", "Golden Gate", "Granite", "Horizon", "Iris", "Juniper", "Lumière", "Maple", "Meridian",
	"Nimbus", "Northwind", "Olympe", "Orchid", "Pinnacle", "Quartz", "Riverside", "Sapphire", "Silverline", "Solstice",
	"Summit", "Terra", "Vertex", "Vivid", "Zenith", "Hexa", "Nova", "Pixel", "Opale", "Ember",
}

var companyTails = []string{
	"Consulting", "Logistics", "Labs", "Studio", "Partners", "Systems", "Foods", "Energy", "Capital", "Media",
	"Networks", "Analytics", "Design", "Events", "Health", "Robotics", "Software", "Travel", "Ventures", "Works",
}

var companySuffixes = []string{"SAS", "SARL", "SA", "LLC", "Ltd", "GmbH", "Inc.", ""}

var freeMailDomains = []string{
	"gmail.com", "outlook.com", "yahoo.fr", "orange.fr", "free.fr", "laposte.net", "proton.me", "icloud.com",
}

// phonePlans make numbers that libphonenumber knows as valid: a country code,
// a fixed leading part and the count of random digits that follow.
var phonePlans = []struct {
	prefix string
	digits int
}{
	{"+336", 8}, {"+337", 8}, {"+331", 8}, {"+334", 8}, // France
	{"+447", 9},                // United Kingdom mobile
	{"+1415", 7}, {"+1212", 7}, // United States (exchange made valid below)
	{"+49151", 8}, {"+49171", 8}, // Germany mobile
	{"+346", 8}, // Spain mobile
	{"+393", 9}, // Italy mobile
	{"+324", 8}, // Belgium mobile
}

var businessKinds = []string{
	"General Assembly", "Product Launch", "Annual Party", "Seminar", "Team Building", "Board Retreat",
	"Awards Night", "Summer Party", "Client Dinner", "Kick-off",
}

var privateKinds = []string{
	"Wedding", "Birthday Party", "Anniversary", "Engagement Party", "Baptism", "Family Reunion",
}

var streets = []string{
	"Rue de la Paix", "Avenue des Champs-Élysées", "Boulevard Haussmann", "Rue du Faubourg Saint-Honoré",
	"Quai des Chartrons", "Rue de la République", "Place Bellecour", "Cours Mirabeau", "Rue Sainte-Catherine",
	"Promenade des Anglais", "Rue du Château", "Chemin des Vignes", "Allée des Tilleuls", "Route de la Plage",
}

var cities = []string{
	"75002 Paris", "69002 Lyon", "13001 Marseille", "33000 Bordeaux", "06000 Nice", "31000 Toulouse",
	"44000 Nantes", "67000 Strasbourg", "59000 Lille", "34000 Montpellier", "41120 Candé-sur-Beuvron",
	"37400 Amboise", "51100 Reims", "74000 Annecy", "64200 Biarritz", "35400 Saint-Malo",
}

var venues = []string{
	"Château de la Loire", "Domaine des Oliviers", "Salle des fêtes", "Hôtel du Parc", "Le Pavillon Bleu",
	"La Grange aux Dîmes", "Espace Rive Gauche", "Les Jardins du Lac", "Villa Florentine", "Le Hangar 14",
}

var notes = []string{
	"Catering is organized; the DJ arrives at 8PM.",
	"Client asked for a vegetarian menu and a quiet room for children.",
	"Parking for 40 cars reserved. Welcome desk at the main entrance.",
	"Sound check one hour before the start. Projector and two microphones needed.",
	"Outdoor ceremony if the weather allows; tent booked as a fallback.",
	"Shuttle from the station every 30 minutes from 2PM.",
	"Photographer booked; group photo at 6PM by the fountain.",
}
